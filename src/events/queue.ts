import type { Bindings } from "../env";
import { FIRST_RETRY_SECONDS, retryLater, type EventMessage } from "./messages";
import { react } from "./react";
import { fanOut } from "./webhooks/fan-out";
import { deliver } from "./webhooks/deliver";

/**
 * The `EVENTS` queue's consumer (DESIGN §8): webhook fan-outs and delivery attempts
 * (./webhooks/), and the retry path of after-commit reactions: a request whose reactions failed sends its
 * event's id to the `EVENTS` queue (`keyward-events`), and this Worker's consumer re-runs them
 * a few seconds later, backing off while they keep failing; after `max_retries` (wrangler.toml)
 * the message goes to `keyward-events-dlq`. The outbox row, not the message, is the record: the
 * cron sweep (./sweep.ts) still finds any row a lost send or a dead letter left unreacted.
 */
export type { EventMessage };
export { FIRST_RETRY_SECONDS, retryLater };

const MAX_RETRY_SECONDS = 300;

/** Delay before the `attempts`-th redelivery: doubling from FIRST_RETRY_SECONDS, at most 5 minutes. */
export const retryDelaySeconds = (attempts: number) => Math.min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** Math.max(0, attempts - 1));

/**
 * The queue consumer: each message's work done (ack) or retried later. Messages run side by side:
 * a delivery may wait up to its 10 s timeout, and one slow endpoint must not hold the others.
 */
export async function consumeEvents(batch: MessageBatch<unknown>, env: Bindings): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      const body = messageOf(message.body);
      // A body that names nothing has nothing to retry.
      const done = body === null || (await handle(env, body).catch(() => false));
      if (done) message.ack();
      else message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    }),
  );
}

function handle(env: Bindings, message: EventMessage): Promise<boolean> {
  switch (message.kind) {
    case "reactions":
      return react(env, message.event_id);
    case "dispatch":
      return fanOut(env, message.event_id);
    case "deliver":
      return deliver(env, message.delivery_id);
  }
}

function messageOf(body: unknown): EventMessage | null {
  if (typeof body !== "object" || body === null) return null;
  const { kind, event_id: eventId, delivery_id: deliveryId } = body as { kind?: unknown; event_id?: unknown; delivery_id?: unknown };
  // Messages queued before `kind` existed carry only the id of an event to react to.
  if ((kind === undefined || kind === "reactions") && typeof eventId === "string") return { kind: "reactions", event_id: eventId };
  if (kind === "dispatch" && typeof eventId === "string") return { kind, event_id: eventId };
  if (kind === "deliver" && typeof deliveryId === "string") return { kind, delivery_id: deliveryId };
  return null;
}
