import type { Bindings } from "../env";
import { react } from "./react";
import { fanOut } from "./webhooks/fan-out";
import { deliver } from "./webhooks/deliver";

/**
 * The retry path of after-commit reactions (DESIGN §8): a request whose reactions failed sends its
 * event's id to the `EVENTS` queue (`keyward-events`), and this Worker's consumer re-runs them
 * a few seconds later, backing off while they keep failing; after `max_retries` (wrangler.toml)
 * the message goes to `keyward-events-dlq`. The outbox row, not the message, is the record: the
 * cron sweep (./sweep.ts) still finds any row a lost send or a dead letter left unreacted.
 */
export type EventMessage =
  /** Re-run an event's after-commit reactions. */
  | { kind: "reactions"; event_id: string }
  /** Fan an event out to the webhook endpoints subscribed to it (./dispatch.ts). */
  | { kind: "dispatch"; event_id: string }
  /** Make one delivery attempt (a `webhook_deliveries` row). */
  | { kind: "deliver"; delivery_id: string };

/** Long enough for a brief outage to pass, short enough that the change is everywhere in seconds. */
export const FIRST_RETRY_SECONDS = 5;
const MAX_RETRY_SECONDS = 300;

/** Queues a retry of the event's reactions. Best effort: if the send fails, the sweep still finds the row. */
export async function retryLater(env: Bindings, eventId: string): Promise<void> {
  const message: EventMessage = { kind: "reactions", event_id: eventId };
  await env.EVENTS.send(message, { delaySeconds: FIRST_RETRY_SECONDS }).catch((err: unknown) =>
    console.error(JSON.stringify({ level: "warn", msg: "event not queued", event_id: eventId, error: err instanceof Error ? err.name : "unknown" })),
  );
}

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
