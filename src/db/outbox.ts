import type { AuditContext } from "./audit";
import { newAuditEventId } from "../lib/ids";
import { insertInto, rowMapper } from "./statements";
import { auditEvents, events, type EventPayload, type RowOf } from "./tables";
import type { AuditAction, EventType, NoticeType } from "./event-types";

/** An outbox row: one per committed mutation (schema.sql, table `events`). */
export type OutboxEvent = RowOf<typeof events>;
export type { EventType };

/** Maps an `events` row: `payload` parsed. */
export const toEvent = rowMapper(events);

type Row = Record<string, unknown>;

/**
 * A change ready to commit: the change itself, then its audit row, then its outbox row, in that
 * order, for one `db.batch` (a transaction), then any statements that must commit with the change
 * (`alongside`). The audit and outbox rows are written only if the
 * change changed a row (`changes() > 0`, chained: the outbox row follows the audit row), so a
 * guarded UPDATE that lost a race leaves neither behind. Built only by `mutation()`; committed by
 * `commitMutation` (src/events/commit.ts), which reads the change's row and the outbox row back.
 */
export interface Mutation<T> {
  readonly statements: readonly D1PreparedStatement[];
  /** Maps the change's `RETURNING *` row, absent when the change changed nothing. */
  readonly read: (row: Row | undefined) => T;
  /** Ids of notices written alongside (`noticeStatement`), dispatched with the event after the commit. */
  readonly notices?: readonly string[];
}

/** Where the outbox row's `RETURNING` is among a mutation's statements: after the change and the audit row. */
export const OUTBOX_STATEMENT = 2;

/** For a change that always changes a row (an insert; an update of a row never deleted): its row. */
export const changedRow =
  <T>(map: (row: Row) => T) =>
  (row: Row | undefined): T => {
    if (!row) throw new Error("the change returned no row");
    return map(row);
  };

/** For a guarded change, which may change nothing: its row, or null. */
export const rowIfChanged =
  <T>(map: (row: Row) => T) =>
  (row: Row | undefined): T | null =>
    row ? map(row) : null;

/** The event a mutation records: its type, its partner and what it is about. */
export interface EventOf {
  type: AuditAction;
  partnerId: string;
  subjectId: string;
  payload?: EventPayload;
}

/**
 * Wraps a change (a statement with `RETURNING *`) with its audit and outbox rows. Both rows share
 * one id: the audit event and the outbox event are the same event, seen by two readers.
 * `alongside` runs last in the same transaction, unconditionally: only for a change that always
 * changes a row (e.g. a user's keys' versions bumped with the user, src/db/users.ts), unless its
 * statements chain themselves (`companionEvent`).
 */
export function mutation<T>(
  db: D1Database,
  ctx: AuditContext,
  change: D1PreparedStatement,
  read: (row: Row | undefined) => T,
  event: EventOf,
  alongside: readonly D1PreparedStatement[] = [],
): Mutation<T> {
  const id = newAuditEventId();
  const audit = insertInto(
    db,
    auditEvents,
    { id, partner_id: event.partnerId, actor: ctx.actor, action: event.type, target_id: event.subjectId, at: ctx.at, request_id: ctx.requestId },
    { ifChanged: true },
  );
  const outbox = insertInto(
    db,
    events,
    { id, type: event.type, partner_id: event.partnerId, subject_id: event.subjectId, occurred_at: ctx.at, payload: event.payload ?? {} },
    { ifChanged: true, returning: true },
  );
  return { statements: [change, audit, outbox, ...alongside], read };
}

/**
 * A second event of the same change, for a mutation's `alongside`: its audit and outbox rows are
 * chained (`changes() > 0`) to the mutation's own rows, so they exist exactly when the change
 * changed a row. The outbox row is written reacted: the mutation's own event runs the reactions
 * the change needs (the same row, re-read), and its webhooks go out like a notice's: its id goes
 * into the mutation's `notices`, which `commitMutation` dispatches (the sweep, should that fail). E.g. a leak report's revocation: `key.leaked`, then `key.revoked`.
 */
export function companionEvent(db: D1Database, ctx: AuditContext, event: EventOf): { id: string; statements: D1PreparedStatement[] } {
  const id = newAuditEventId();
  const statements = [
    insertInto(
      db,
      auditEvents,
      { id, partner_id: event.partnerId, actor: ctx.actor, action: event.type, target_id: event.subjectId, at: ctx.at, request_id: ctx.requestId },
      { ifChanged: true },
    ),
    insertInto(
      db,
      events,
      { id, type: event.type, partner_id: event.partnerId, subject_id: event.subjectId, occurred_at: ctx.at, payload: event.payload ?? {}, reacted_at: ctx.at },
      { ifChanged: true },
    ),
  ];
  return { id, statements };
}

/**
 * Ids of events whose reactions never completed, older than `before` (younger ones are most likely
 * still in their request or queued) and not claimed by a run in progress at `now`. Rows tried most
 * often go last, so a row that keeps failing or hanging cannot take every slot of every sweep.
 */
export async function unreactedEventIds(db: D1Database, before: string, now: string, limit: number): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT id FROM events WHERE reacted_at IS NULL AND occurred_at <= ?1 AND (claimed_until IS NULL OR claimed_until <= ?2)
       ORDER BY attempts, seq LIMIT ?3`,
    )
    .bind(before, now, limit)
    .all<{ id: string }>();
  return results.map((row) => row.id);
}

/**
 * Claims an unreacted event for one retry until `until`, counting the attempt, in one statement:
 * of a queue delivery and a sweep reaching the same row, one gets it. Null when the event is
 * reacted, claimed by another run, or unknown.
 */
export async function claimEvent(db: D1Database, id: string, now: string, until: string): Promise<OutboxEvent | null> {
  const row = await db
    .prepare(
      `UPDATE events SET attempts = attempts + 1, claimed_until = ?3
       WHERE id = ?1 AND reacted_at IS NULL AND (claimed_until IS NULL OR claimed_until <= ?2) RETURNING *`,
    )
    .bind(id, now, until)
    .first();
  return row ? toEvent(row) : null;
}

/** One subject's events whose reactions never completed, oldest first. */
export async function unreactedEventsOf(db: D1Database, subjectId: string): Promise<OutboxEvent[]> {
  const { results } = await db
    .prepare("SELECT * FROM events WHERE subject_id = ?1 AND reacted_at IS NULL ORDER BY seq")
    .bind(subjectId)
    .all();
  return results.map(toEvent);
}

/**
 * Records that the event's reactions all succeeded (a row already marked stays as it was) and, in
 * the same write, the webhook body's data as of the commit (kept if one is already frozen).
 */
export const markReacted = (db: D1Database, id: string, at: string, body?: Record<string, unknown>) =>
  db
    .prepare("UPDATE events SET reacted_at = ?2, body = coalesce(body, ?3) WHERE id = ?1 AND reacted_at IS NULL")
    .bind(id, at, body ? JSON.stringify(body) : null)
    .run();

/** Frees a claimed event whose run failed, so the queue's next delivery may claim it at once. */
export const releaseClaim = (db: D1Database, id: string) => db.prepare("UPDATE events SET claimed_until = NULL WHERE id = ?1").bind(id).run();

/** Counts one failed run of the event's reactions (orders the sweep). */
export const countFailedAttempt = (db: D1Database, id: string) =>
  db.prepare("UPDATE events SET attempts = attempts + 1 WHERE id = ?1").bind(id).run();

/**
 * Deletes up to `limit` events whose reactions completed before `before`. The audit trail keeps
 * the history; the outbox only has to hold what is pending (and, with webhooks, what may be
 * redelivered).
 */
export async function pruneReacted(db: D1Database, before: string, limit: number): Promise<number> {
  const result = await db
    .prepare("DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE reacted_at IS NOT NULL AND reacted_at < ?1 LIMIT ?2)")
    .bind(before, limit)
    .run();
  return result.meta.changes;
}

/** A notice to write: an event no caller's change made (src/db/event-types.ts NOTICE_TYPES). */
export interface Notice {
  /** Chosen by a writer that must know it before the write (a retried flush dispatches what an earlier try wrote); a fresh one otherwise. */
  id?: string;
  type: NoticeType;
  partnerId: string;
  subjectId: string;
  at: string;
  payload?: EventPayload;
}

/**
 * A notice's outbox row, for a batch of the writer's own (the cron's expiry pass, the guard's
 * flush). It has no reactions, so it is written reacted; its webhooks still go out: the writer
 * dispatches it (src/events/dispatch.ts) or the sweep does. `ifChanged` chains it to the statement
 * before it, like a mutation's rows, so a notice is written only with the change that earned it.
 */
export function noticeStatement(db: D1Database, notice: Notice, options: { ifChanged?: boolean } = {}): { id: string; statement: D1PreparedStatement } {
  const id = notice.id ?? newAuditEventId();
  const statement = insertInto(
    db,
    events,
    {
      id,
      type: notice.type,
      partner_id: notice.partnerId,
      subject_id: notice.subjectId,
      occurred_at: notice.at,
      payload: notice.payload ?? {},
      reacted_at: notice.at,
    },
    { ifChanged: options.ifChanged },
  );
  return { id, statement };
}

/**
 * Records that the event is fanned out: one queued attempt exists for each endpoint that hears it
 * (or none does). Until then the sweep keeps sending it to the queue, so a dispatch message lost
 * or dead-lettered costs a delay, never the event.
 */
export const markDispatched = (db: D1Database, id: string, at: string) =>
  db.prepare("UPDATE events SET dispatched_at = ?2 WHERE id = ?1 AND dispatched_at IS NULL").bind(id, at).run();

export async function getEvent(db: D1Database, id: string): Promise<OutboxEvent | null> {
  const row = await db.prepare("SELECT * FROM events WHERE id = ?1").bind(id).first();
  return row ? toEvent(row) : null;
}

/** Stores the webhook body's `data` unless a racing dispatch did first; returns the one that stands. */
export async function freezeBody(db: D1Database, id: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const row = await db
    .prepare("UPDATE events SET body = coalesce(body, ?2) WHERE id = ?1 RETURNING body")
    .bind(id, JSON.stringify(body))
    .first<{ body: string }>();
  return row ? (JSON.parse(row.body) as Record<string, unknown>) : body;
}

/** Ids of events older than `before` not fanned out yet (their dispatch message lost, dead-lettered or failing), oldest first. */
export async function undispatchedEventIds(db: D1Database, before: string, limit: number): Promise<string[]> {
  const { results } = await db
    .prepare("SELECT id FROM events WHERE dispatched_at IS NULL AND occurred_at <= ?1 ORDER BY occurred_at LIMIT ?2")
    .bind(before, limit)
    .all<{ id: string }>();
  return results.map((row) => row.id);
}
