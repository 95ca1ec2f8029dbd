import { authenticatedRoute, type App } from "../hono";
import { listAuditEvents } from "../db/audit";
import { readPage } from "../lib/cursor";
import { AuditEventSchema, serializeAuditEvent } from "../schemas/audit";
import { json, pageOf, PageQuery } from "../schemas/common";
import { visiblePartner } from "./access";
import { PartnerParams } from "../schemas/params";

const route = authenticatedRoute({
  method: "get",
  path: "/v1/partners/{partner_id}/audit-events",
  operationId: "listAuditEvents",
  tags: ["Audit"],
  summary: "A partner's audit trail, newest first",
  access: { caller: "operator_or_key", scope: "audit:read" },
  errors: ["invalid_cursor"],
  request: { params: PartnerParams, query: PageQuery },
  responses: { 200: json(pageOf(AuditEventSchema, "AuditEventPage"), "A page of audit events.") },
});

export const registerAuditEventsList = (app: App) =>
  app.openapi(route, async (c) => {
    const partner = await visiblePartner(c, c.req.valid("param").partner_id);
    const read = (beforeSeq: number, limit: number) => listAuditEvents(c.env.DB, partner.id, beforeSeq, limit);
    return c.json(await readPage(c.req.valid("query"), read, (events) => events.map(serializeAuditEvent)), 200);
  });
