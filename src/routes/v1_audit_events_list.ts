import { createRoute } from "@hono/zod-openapi";
import type { App } from "../app";
import { authenticate, requireScope } from "../auth/authenticate";
import { listAuditEvents } from "../db/audit";
import { decodeCursor, page } from "../lib/cursor";
import { AuditEventSchema, serializeAuditEvent } from "../schemas/audit";
import { errorResponses, json, pageOf, PageQuery } from "../schemas/common";
import { visiblePartner } from "./access";
import { PartnerParams } from "./v1_partners_get";
import { operatorOrKey } from "./security";

const route = createRoute({
  method: "get",
  path: "/v1/partners/{partner_id}/audit-events",
  operationId: "listAuditEvents",
  tags: ["Audit"],
  summary: "A partner's audit trail, newest first",
  security: operatorOrKey,
  middleware: [authenticate()] as const,
  request: { params: PartnerParams, query: PageQuery },
  responses: { 200: json(pageOf(AuditEventSchema, "AuditEventPage"), "A page of audit events."), ...errorResponses },
});

export const registerAuditEventsList = (app: App) =>
  app.openapi(route, async (c) => {
    requireScope(c.get("principal"), "audit:read");
    const partner = await visiblePartner(c, c.req.valid("param").partner_id);
    const { limit, cursor } = c.req.valid("query");
    const result = page(await listAuditEvents(c.env.DB, partner.id, decodeCursor(cursor), limit), limit);
    return c.json({ data: result.data.map(serializeAuditEvent), next_cursor: result.next_cursor }, 200);
  });
