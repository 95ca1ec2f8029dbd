import { auditEvents, type AuditAction, type RowOf } from "./tables";
import { rowMapper } from "./statements";

export type { AuditAction };
export type AuditEvent = RowOf<typeof auditEvents>;

export interface AuditContext {
  actor: string;
  /** The actor's display name: "Operator", the acting key's user, else the acting key's name. */
  actorName: string;
  requestId: string;
  at: string;
}

const toAuditEvent = rowMapper(auditEvents);

export async function listAuditEvents(db: D1Database, partnerId: string, beforeSeq: number, limit: number): Promise<AuditEvent[]> {
  const { results } = await db
    .prepare(`SELECT * FROM audit_events WHERE partner_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3`)
    .bind(partnerId, beforeSeq, limit + 1)
    .all();
  return results.map(toAuditEvent);
}

/** Every partner's audit events, newest first: the operator's global audit log. */
export async function listAllAuditEvents(db: D1Database, beforeSeq: number, limit: number): Promise<AuditEvent[]> {
  const { results } = await db.prepare(`SELECT * FROM audit_events WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2`).bind(beforeSeq, limit + 1).all();
  return results.map(toAuditEvent);
}
