import { authenticatedRoute, type App } from "../hono";
import { listAllAuditEvents } from "../db/audit";
import { readPage } from "../lib/cursor";
import { AuditEventSchema, serializeAuditEvent } from "../schemas/audit";
import { json, pageOf, PageQuery } from "../schemas/common";

const route = authenticatedRoute({
  method: "get",
  path: "/v1/audit-events",
  operationId: "listAllAuditEvents",
  tags: ["Audit"],
  summary: "Every partner's audit trail, newest first",
  description: "The operator's global audit log: the events of every partner in one list.",
  access: { caller: "operator" },
  errors: ["invalid_cursor"],
  request: { query: PageQuery },
  responses: { 200: json(pageOf(AuditEventSchema, "AuditEventPage"), "A page of audit events.") },
});

export const registerAllAuditEventsList = (app: App) =>
  app.openapi(route, async (c) => {
    const read = (beforeSeq: number, limit: number) => listAllAuditEvents(c.env.DB, beforeSeq, limit);
    return c.json(await readPage(c.req.valid("query"), read, (events) => events.map(serializeAuditEvent)), 200);
  });
