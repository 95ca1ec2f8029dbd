import { claimEvent, countFailedAttempt, markReacted, releaseClaim, type OutboxEvent } from "../db/outbox";
import { now } from "../lib/clock";
import type { Bindings } from "../env";
import { nowIso } from "../lib/time";
import { runReactions } from "./reactions";
import { queueDispatch } from "./dispatch";

/**
 * Runs the event's reactions, then marks its outbox row as reacted. On failure the row stays
 * unreacted (its attempt counted, best effort) and the failure is returned, not thrown: each caller
 * decides what it means (a 503 for a request, a retry for the queue, the next run for the sweep).
 */
export async function attemptReactions(
  env: Bindings,
  event: OutboxEvent,
  options: { claimed?: boolean; body?: Record<string, unknown> } = {},
): Promise<{ failure: unknown } | null> {
  try {
    await runReactions(env, event);
  } catch (failure) {
    log("event reactions failed", event.id, failure, event.type);
    // A claim already counted this attempt; it is released so the next retry need not wait it out.
    await (options.claimed ? releaseClaim : countFailedAttempt)(env.DB, event.id).catch(() => undefined);
    return { failure };
  }
  // Then the event goes onto the queue for its webhooks (a failed send leaves it to the sweep). The
  // fan-out waits for the mark below, which stores the body the committing request snapshotted.
  if (event.dispatched_at === null) await queueDispatch(env, [event.id]);
  // Best effort: an unmarked row only makes the sweep re-run reactions that are idempotent.
  await markReacted(env.DB, event.id, nowIso(), options.body).catch((err: unknown) => log("event mark failed", event.id, err));
  return null;
}

/** How long a retry holds its event: far longer than a partner's fan-out takes, short enough that a run cut off is retried soon. */
export const CLAIM_MS = 60_000;

/**
 * Runs the reactions of a stored event unless they already succeeded or another run holds it. The
 * queue consumer and the cron sweep both come here. True when there is nothing left for this
 * caller to do (done, unknown, or another run's to finish: its claim ends and the sweep takes the
 * row again if it fails), false when a reaction failed and the event needs another try.
 */
export async function react(env: Bindings, eventId: string): Promise<boolean> {
  const at = now();
  const event = await claimEvent(env.DB, eventId, nowIso(at), nowIso(at + CLAIM_MS));
  if (!event) return true;
  return (await attemptReactions(env, event, { claimed: true })) === null;
}

function log(msg: string, eventId: string, err: unknown, type?: string) {
  console.error(JSON.stringify({ level: "warn", msg, event_id: eventId, type, error: err instanceof Error ? err.name : "unknown" }));
}
