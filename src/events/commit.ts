import { isUniqueViolation } from "../db/errors";
import { OUTBOX_STATEMENT, toEvent, unreactedEventsOf, type EventType, type Mutation, type OutboxEvent } from "../db/outbox";
import type { Bindings } from "../env";
import { StorageError } from "../lib/instrument";
import { ApiError } from "../lib/problem";
import { retryLater } from "./messages";
import { dispatchEvents } from "./dispatch";
import { snapshotData } from "./webhooks/body";
import { attemptReactions } from "./react";

export interface CommitOptions {
  /** Answer for a violated UNIQUE constraint (a taken slug or email); without it, the storage error stands. */
  conflict?: () => ApiError;
}

/**
 * Commits a mutation (the change, its audit row and its outbox row, one D1 batch), then runs the
 * event's reactions (src/events/reactions.ts) and marks the outbox row as reacted.
 *
 * Returns the changed row as the commit returned it. A guarded change (`Mutation<T | null>`) gives
 * `null` when it changed nothing (an UPDATE that lost a race): then neither audit nor outbox row
 * exists and nothing runs.
 *
 * A reaction that fails after the commit never answers "nothing was changed": the change stands,
 * the row stays unreacted, its id goes to the queue for a retry in a few seconds (the cron sweep
 * finds it too, should that send fail), and the caller gets 503 `propagation_pending`, except for
 * a create, which answers with what it created.
 *
 * @example
 * ```ts
 * const audit = auditContext(c);
 * const revoked = await commitMutation(c.env, keyWrites.revoke(c.env.DB, audit, key));
 * if (!revoked) throw new ApiError("key_revoked", "A revoked key cannot be changed."); // lost a race
 * return c.json(serializeKey(revoked, { user }), 200);
 * ```
 */
export async function commitMutation<T>(env: Bindings, mutation: Mutation<T>, options: CommitOptions = {}): Promise<T> {
  let results: D1Result[];
  try {
    results = await env.DB.batch([...mutation.statements]);
  } catch (err) {
    if (options.conflict && isUniqueViolation(err)) throw options.conflict();
    throw err;
  }
  const changed = mutation.read(results[0]?.results[0] as Record<string, unknown> | undefined);
  // Written exactly when the change changed a row (the same `changes() > 0` chain).
  const written = results[OUTBOX_STATEMENT]?.results[0] as Record<string, unknown> | undefined;
  if (written) {
    const event = toEvent(written);
    await reactAfterCommit(env, event, await snapshotData(env, event, changed));
    // Notices have no reactions: straight onto the queue (the sweep sends them if this fails).
    await dispatchEvents(env, mutation.notices ?? []);
  }
  return changed;
}

/**
 * Completes what is still pending for one subject (a key, a partner): a repeated request, which
 * changes nothing itself, finishes the propagation of the change that did. Answers like
 * `commitMutation` when a reaction fails again.
 */
export async function completePending(env: Bindings, subjectId: string): Promise<void> {
  for (const event of await unreactedEventsOf(env.DB, subjectId)) await reactAfterCommit(env, event);
}

async function reactAfterCommit(env: Bindings, event: OutboxEvent, body?: Record<string, unknown>): Promise<void> {
  const failed = await attemptReactions(env, event, { body });
  if (!failed) return;
  await retryLater(env, event.id);
  // Anything but a storage failure is a bug: the caller hears 500 (the retries log it again).
  if (!(failed.failure instanceof StorageError)) throw failed.failure;
  // A create answers with what it created: a new key's secret is shown only in this answer, and
  // repeating the request would create another. The retries finish what follows (a new key works
  // at once from D1; its origins reach the CORS registry when the retry runs).
  if (CREATES.has(event.type)) return;
  throw new ApiError("propagation_pending", "The change was saved but is not yet in effect everywhere. Repeat the request.", {
    headers: { "retry-after": "1" },
  });
}

const CREATES: ReadonlySet<EventType> = new Set(["key.created", "partner.created", "user.created"]);
