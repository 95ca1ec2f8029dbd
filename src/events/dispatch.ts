import { markDispatched } from "../db/outbox";
import type { Bindings } from "../env";
import { nowIso } from "../lib/time";
import type { EventMessage } from "./messages";

/**
 * Puts committed events onto the queue for their webhooks (DESIGN §8): the consumer fans each out
 * to its endpoints (./webhooks/fan-out.ts). Best effort by design: an event whose send fails keeps
 * `dispatched_at` NULL and the cron sweep sends it within a couple of minutes, so nothing is lost
 * between the commit and the queue. The queue is at least once; the fan-out and each delivery
 * attempt are idempotent, so a repeated send costs a lookup, never a second POST.
 */
export async function dispatchEvents(env: Bindings, eventIds: readonly string[]): Promise<void> {
  if (await queueDispatch(env, eventIds)) await markDispatched(env.DB, eventIds, nowIso()).catch(() => undefined);
}

/** Sends the events' dispatch messages; false (logged) when the queue refused them. The caller records success. */
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
