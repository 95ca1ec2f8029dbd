import { countFailedAttempt, getEvent, markReacted, type OutboxEvent } from "../db/outbox";
import type { Bindings } from "../env";
import { nowIso } from "../lib/time";
import { runReactions } from "./reactions";

/**
 * Runs the event's reactions, then marks its outbox row as reacted. On failure the row stays
 * unreacted (its attempt counted, best effort) and the failure is returned, not thrown: each caller
 * decides what it means (a 503 for a request, a retry for the queue, the next run for the sweep).
 */
export async function attemptReactions(env: Bindings, event: OutboxEvent): Promise<{ failure: unknown } | null> {
  try {
    await runReactions(env, event);
  } catch (failure) {
    log("event reactions failed", event.id, failure, event.type);
    await countFailedAttempt(env.DB, event.id).catch(() => undefined);
    return { failure };
  }
  // Best effort: an unmarked row only makes the sweep re-run reactions that are idempotent.
  await markReacted(env.DB, event.id, nowIso()).catch((err: unknown) => log("event mark failed", event.id, err));
  return null;
}

/**
 * Runs the reactions of a stored event unless they already succeeded. The queue consumer and the
 * cron sweep both come here. True when done (or when there is no such event), false when a
 * reaction failed and the event needs another try.
 */
export async function react(env: Bindings, eventId: string): Promise<boolean> {
  const event = await getEvent(env.DB, eventId);
  if (!event || event.reacted_at !== null) return true;
  return (await attemptReactions(env, event)) === null;
}

function log(msg: string, eventId: string, err: unknown, type?: string) {
  console.error(JSON.stringify({ level: "warn", msg, event_id: eventId, type, error: err instanceof Error ? err.name : "unknown" }));
}
