import { PartnerParams } from "../schemas/params";
import { authenticatedRoute, type App } from "../hono";
import { json } from "../schemas/common";
import { PartnerSchema, serializePartner } from "../schemas/partner";
import { visiblePartner } from "./access";

const route = authenticatedRoute({
  method: "get",
  path: "/v1/partners/{partner_id}",
  operationId: "getPartner",
  tags: ["Partners"],
  summary: "Read a partner",
  access: { caller: "operator" },
  request: { params: PartnerParams },
  responses: { 200: json(PartnerSchema, "The partner.") },
});

export const registerPartnersGet = (app: App) =>
  app.openapi(route, async (c) => c.json(serializePartner(await visiblePartner(c, c.req.valid("param").partner_id)), 200));
