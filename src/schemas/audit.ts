import { z } from "@hono/zod-openapi";
import { AUDIT_ACTIONS } from "../db/tables";
import type { AuditEvent } from "../db/audit";
import { Timestamp } from "./common";

export const AuditEventSchema = z
  .object({
    id: z.string(),
    partner_id: z.string(),
    actor: z.string().openapi({ description: '"operator", or the id of the key that acted' }),
    action: z.enum(AUDIT_ACTIONS),
    target_id: z.string(),
    at: Timestamp,
    request_id: z.string(),
  })
  .openapi("AuditEvent");

export const serializeAuditEvent = (e: AuditEvent): z.infer<typeof AuditEventSchema> => ({
  id: e.id,
  partner_id: e.partner_id,
  actor: e.actor,
  action: e.action,
  target_id: e.target_id,
  at: e.at,
  request_id: e.request_id,
});
