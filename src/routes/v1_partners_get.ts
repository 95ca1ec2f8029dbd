import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../app";
import { authenticate } from "../auth/authenticate";
import { errorResponses, json, PartnerId } from "../schemas/common";
import { PartnerSchema, serializePartner } from "../schemas/partner";
import { visiblePartner } from "./access";
import { operatorOnly } from "./security";

export const PartnerParams = z.object({ partner_id: PartnerId });

const route = createRoute({
  method: "get",
  path: "/v1/partners/{partner_id}",
  operationId: "getPartner",
  tags: ["Partners"],
  summary: "Read a partner",
  security: operatorOnly,
  middleware: [authenticate({ accept: "operator" })] as const,
  request: { params: PartnerParams },
  responses: { 200: json(PartnerSchema, "The partner."), ...errorResponses },
});

export const registerPartnersGet = (app: App) =>
  app.openapi(route, async (c) => c.json(serializePartner(await visiblePartner(c, c.req.valid("param").partner_id)), 200));
