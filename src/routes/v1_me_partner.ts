import { callingKey } from "./access";
import { authenticatedRoute, type App } from "../hono";
import { json } from "../schemas/common";
import { PartnerSchema, serializePartner } from "../schemas/partner";


const route = authenticatedRoute({
  method: "get",
  path: "/v1/me/partner",
  operationId: "getMyPartner",
  tags: ["Introspection"],
  summary: "The calling key's partner",
  access: { caller: "key" },
  responses: { 200: json(PartnerSchema, "The partner that owns the calling key.") },
});

export const registerMePartner = (app: App) => app.openapi(route, (c) => c.json(serializePartner(callingKey(c).partner), 200));
