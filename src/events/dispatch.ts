import type { Bindings } from "../env";
import type { EventMessage } from "./messages";

/**
 * Puts committed events onto the queue for their webhooks (DESIGN §8): the consumer fans each out
 * to its endpoints (./webhooks/fan-out.ts), and only the fan-out marks the event `dispatched_at`.
 * Best effort by design: an event whose send fails, or whose message is lost or dead-lettered,
 * keeps `dispatched_at` NULL and the cron sweep sends it again, so nothing is lost between the
 * commit and the endpoints. The queue is at least once; the fan-out and each delivery attempt are
 * idempotent, so a repeated send costs a lookup, never a second POST.
 */
export async function dispatchEvents(env: Bindings, eventIds: readonly string[]): Promise<void> {
  await queueDispatch(env, eventIds);
}

/** Sends the events' dispatch messages; false (logged) when the queue refused them. */
export async function queueDispatch(env: Bindings, eventIds: readonly string[]): Promise<boolean> {
  if (eventIds.length === 0) return false;
  try {
    const messages = eventIds.map((event_id): { body: EventMessage } => ({ body: { kind: "dispatch", event_id } }));
    for (let i = 0; i < messages.length; i += SEND_BATCH) await env.EVENTS.sendBatch(messages.slice(i, i + SEND_BATCH));
    return true;
  } catch (err) {
    console.error(JSON.stringify({ level: "warn", msg: "events not dispatched", count: eventIds.length, error: err instanceof Error ? err.name : "unknown" }));
    return false;
  }
}

/** Cloudflare Queues takes at most 100 messages per sendBatch. */
const SEND_BATCH = 100;
