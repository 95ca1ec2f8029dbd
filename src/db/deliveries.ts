import { newAuditEventId } from "../lib/ids";
import type { AuditContext } from "./audit";
import { mutation, rowIfChanged, type Mutation } from "./outbox";
import { rowMapper } from "./statements";
import { webhookDeliveries, type RowOf } from "./tables";

/** One attempt to deliver one event to one endpoint (schema.sql, `webhook_deliveries`). */
export type Delivery = RowOf<typeof webhookDeliveries>;
export const toDelivery = rowMapper(webhookDeliveries);

export const newDeliveryId = () => newAuditEventId().replace(/^evt_/, "dlv_");

export async function getDelivery(db: D1Database, id: string): Promise<Delivery | null> {
  const row = await db.prepare("SELECT * FROM webhook_deliveries WHERE id = ?1").bind(id).first();
  return row ? toDelivery(row) : null;
}

/** An endpoint's attempts, newest first. */
export async function listDeliveries(db: D1Database, webhookId: string, beforeSeq: number, limit: number): Promise<Delivery[]> {
  const { results } = await db
    .prepare("SELECT * FROM webhook_deliveries WHERE webhook_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3")
    .bind(webhookId, beforeSeq, limit + 1)
    .all();
  return results.map(toDelivery);
}

/**
 * Queues attempt `attempt` of the event for each endpoint, unless it exists (a repeated fan-out
 * adds nothing), and returns the ids of those still queued: the ones a message must be sent for.
 */
export async function queueAttempts(
  db: D1Database,
  event: { id: string; type: string },
  webhookIds: readonly string[],
  attempt: number,
  at: string,
): Promise<string[]> {
  if (webhookIds.length === 0) return [];
  const inserts = webhookIds.map((webhookId) =>
    db
      .prepare(
        `INSERT INTO webhook_deliveries (id, webhook_id, event_id, type, attempt, state, scheduled_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6) ON CONFLICT (webhook_id, event_id, attempt) DO NOTHING`,
      )
      .bind(newDeliveryId(), webhookId, event.id, event.type, attempt, at),
  );
  // Only these endpoints' rows: another endpoint's attempt of the same event is not this caller's to send.
  const queued = db
    .prepare("SELECT id FROM webhook_deliveries WHERE event_id = ?1 AND attempt = ?2 AND state = 'queued' AND webhook_id IN (SELECT value FROM json_each(?3))")
    .bind(event.id, attempt, JSON.stringify(webhookIds));
  const results = await db.batch([...inserts, queued]);
  return (results.at(-1)!.results as { id: string }[]).map((row) => row.id);
}

/**
 * Takes a queued attempt that is due (or one whose sender's claim ran out: it died mid-POST) for
 * one sender until `until`. Null when it is done, claimed by a live sender, not due, or unknown:
 * of two messages for one attempt, one POSTs.
 */
export async function claimDelivery(db: D1Database, id: string, now: string, until: string): Promise<Delivery | null> {
  const row = await db
    .prepare(
      `UPDATE webhook_deliveries SET state = 'sending', claimed_until = ?3
       WHERE id = ?1 AND ((state = 'queued' AND scheduled_at <= ?2) OR (state = 'sending' AND claimed_until <= ?2)) RETURNING *`,
    )
    .bind(id, now, until)
    .first();
  return row ? toDelivery(row) : null;
}

/** What one attempt ended with. */
export interface AttemptResult {
  at: string;
  status_code: number | null;
  ok: boolean;
  error: string | null;
  response_excerpt: string | null;
  next_retry_at: string | null;
}

/** The statement that records an attempt's result (the sender's claim ends with it). */
export const recordAttempt = (db: D1Database, id: string, r: AttemptResult) =>
  db
    .prepare(
      `UPDATE webhook_deliveries SET state = ?2, at = ?3, status_code = ?4, ok = ?5, error = ?6, response_excerpt = ?7,
         next_retry_at = ?8, claimed_until = NULL WHERE id = ?1`,
    )
    .bind(id, r.ok ? "delivered" : "failed", r.at, r.status_code, r.ok ? 1 : 0, r.error, r.response_excerpt, r.next_retry_at);

/** The next attempt's row, queued for `scheduledAt`, written in the same batch as the failure that calls for it. */
export const queueRetry = (db: D1Database, d: Delivery, scheduledAt: string, id = newDeliveryId()) => ({
  id,
  statement: db
    .prepare(
      `INSERT INTO webhook_deliveries (id, webhook_id, event_id, type, attempt, state, scheduled_at)
       VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6) ON CONFLICT (webhook_id, event_id, attempt) DO NOTHING`,
    )
    .bind(id, d.webhook_id, d.event_id, d.type, d.attempt + 1, scheduledAt),
});

/** The endpoint's failure record: cleared by a success, started by the first failure after one. */
export const noteOutcome = (db: D1Database, webhookId: string, ok: boolean, at: string) =>
  db
    .prepare(ok ? "UPDATE webhooks SET failing_since = NULL WHERE id = ?1 AND failing_since IS NOT NULL" : "UPDATE webhooks SET failing_since = coalesce(failing_since, ?2) WHERE id = ?1")
    .bind(webhookId, ...(ok ? [] : [at]));

/** The newest attempt of an event for an endpoint (a redelivery continues its count). */
export async function latestAttempt(db: D1Database, webhookId: string, eventId: string): Promise<Delivery | null> {
  const row = await db
    .prepare("SELECT * FROM webhook_deliveries WHERE webhook_id = ?1 AND event_id = ?2 ORDER BY attempt DESC LIMIT 1")
    .bind(webhookId, eventId)
    .first();
  return row ? toDelivery(row) : null;
}

/** Attempts due before `before` still queued or held by a claim that ran out: their message may be lost. */
export async function strandedDeliveryIds(db: D1Database, before: string, now: string, limit: number): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT id FROM webhook_deliveries WHERE state IN ('queued', 'sending') AND scheduled_at <= ?1
         AND (state = 'queued' OR claimed_until <= ?2) ORDER BY scheduled_at LIMIT ?3`,
    )
    .bind(before, now, limit)
    .all<{ id: string }>();
  return results.map((row) => row.id);
}

/** Deletes up to `limit` finished attempts scheduled before `before` (the log's retention). */
export async function pruneDeliveries(db: D1Database, before: string, limit: number): Promise<number> {
  const result = await db
    .prepare(
      "DELETE FROM webhook_deliveries WHERE seq IN (SELECT seq FROM webhook_deliveries WHERE scheduled_at < ?1 AND state IN ('delivered', 'failed') LIMIT ?2)",
    )
    .bind(before, limit)
    .run();
  return result.meta.changes;
}

/**
 * A redelivery asked for by a caller: the attempt `attempt` of the event, queued now, with its
 * `webhook.redelivered` audit and outbox rows in the same batch. Null when that attempt number
 * was taken meanwhile (a racing redelivery or retry): then nothing is written.
 */
export function redeliveryWrite(
  db: D1Database,
  ctx: AuditContext,
  hook: { id: string; partner_id: string | null },
  event: { id: string; type: string },
  attempt: number,
): Mutation<Delivery | null> {
  const change = db
    .prepare(
      `INSERT INTO webhook_deliveries (id, webhook_id, event_id, type, attempt, state, scheduled_at)
       VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6) ON CONFLICT (webhook_id, event_id, attempt) DO NOTHING RETURNING *`,
    )
    .bind(newDeliveryId(), hook.id, event.id, event.type, attempt, ctx.at);
  // The operator's endpoints file their audit rows under the empty partner id (src/db/webhooks.ts).
  return mutation(db, ctx, change, rowIfChanged(toDelivery), {
    type: "webhook.redelivered",
    partnerId: hook.partner_id ?? "",
    subjectId: hook.id,
    payload: { data: { event_id: event.id, attempt } },
  });
}
