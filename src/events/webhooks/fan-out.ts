import { queueAttempts } from "../../db/deliveries";
import { isWebhookEventType } from "../../db/event-types";
import { getEvent, markDispatched } from "../../db/outbox";
import { webhooksHearing } from "../../db/webhooks";
import type { Bindings } from "../../env";
import { nowIso } from "../../lib/time";
import { now } from "../../lib/clock";
import type { EventMessage } from "../messages";
import { webhookData } from "./body";
import { MAX_QUEUE_DELAY_SECONDS } from "./config";

/**
 * The consumer's `dispatch` step: an event becomes one queued first attempt per enabled endpoint
 * subscribed to its type (the partner's own and the operator's), each sent to the queue as its own
 * message, so one slow or failing endpoint never holds another's delivery. Idempotent: the rows are
 * keyed by (endpoint, event, attempt), so a repeated dispatch re-sends only attempts still queued,
 * and a sender claims each attempt before it POSTs. True when done; a failure throws, and the
 * queue retries the message.
 */
export async function fanOut(env: Bindings, eventId: string): Promise<boolean> {
  const event = await getEvent(env.DB, eventId);
  if (!event || event.dispatched_at !== null) return true;
  // The committing request sends this message just before it marks the event reacted and stores
  // the body it snapshotted: wait for that mark, unless the request died (then the current row).
  if (event.reacted_at === null && now() - Date.parse(event.occurred_at) < AWAIT_MARK_MS) return false;
  const type = event.type;
  const hooks = isWebhookEventType(type)
    ? (await webhooksHearing(env.DB, event.partner_id, event.occurred_at)).filter((hook) => hook.events.includes(type))
    : [];
  if (hooks.length > 0) {
    // Frozen before any attempt is queued, so every attempt of every endpoint sends the same data.
    await webhookData(env, event);
    const queued = await queueAttempts(env.DB, event, hooks.map((hook) => hook.id), 1, nowIso());
    await sendDeliveries(env, queued, 0);
  }
  // Last: until this mark the sweep sends the event again (a failure above throws before it).
  await markDispatched(env.DB, event.id, nowIso());
  return true;
}

/** How long a dispatch waits for the committing request to mark its event (the queue retries the message meanwhile). */
const AWAIT_MARK_MS = 60_000;

/** Sends one `deliver` message per attempt (at most 100 per call, Cloudflare's batch limit). */
export async function sendDeliveries(env: Bindings, deliveryIds: readonly string[], delaySeconds: number): Promise<void> {
  const delay = Math.min(Math.max(0, Math.ceil(delaySeconds)), MAX_QUEUE_DELAY_SECONDS);
  const messages = deliveryIds.map((delivery_id): { body: EventMessage; delaySeconds: number } => ({ body: { kind: "deliver", delivery_id }, delaySeconds: delay }));
  for (let i = 0; i < messages.length; i += 100) await env.EVENTS.sendBatch(messages.slice(i, i + 100));
}
