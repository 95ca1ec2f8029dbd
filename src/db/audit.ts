import { newAuditEventId } from "../lib/ids";

export type AuditAction =
  | "partner.created"
  | "partner.updated"
  | "user.created"
  | "key.created"
  | "key.updated"
  | "key.rotated"
  | "key.revoked";

export interface AuditEvent {
  seq: number;
  id: string;
  partner_id: string;
  actor: string;
  action: AuditAction;
  target_id: string;
  at: string;
  request_id: string;
}

export interface AuditContext {
  actor: string;
  /** The actor's display name: "Operator", the acting key's user, else the acting key's name. */
  actorName: string;
  requestId: string;
  at: string;
}

/**
 * The audit row for a mutation; callers put it in the same D1 batch as the change itself, right
 * after it. With `onlyIfChanged`, the row is written only when that preceding statement changed a
 * row, so a guarded UPDATE that lost a race leaves no event behind.
 */
export function auditStatement(
  db: D1Database,
  ctx: AuditContext,
  partnerId: string,
  action: AuditAction,
  targetId: string,
  options: { onlyIfChanged?: boolean } = {},
) {
  const guard = options.onlyIfChanged ? " WHERE changes() > 0" : "";
  return db
    .prepare(`INSERT INTO audit_events (id, partner_id, actor, action, target_id, at, request_id) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7${guard}`)
    .bind(newAuditEventId(), partnerId, ctx.actor, action, targetId, ctx.at, ctx.requestId);
}

export async function listAuditEvents(db: D1Database, partnerId: string, beforeSeq: number, limit: number) {
  const { results } = await db
    .prepare(`SELECT * FROM audit_events WHERE partner_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3`)
    .bind(partnerId, beforeSeq, limit + 1)
    .all<AuditEvent>();
  return results;
}
