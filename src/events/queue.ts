import type { Bindings } from "../env";
import { react } from "./react";

/**
 * The retry path of after-commit reactions (DESIGN §8): a request whose reactions failed sends its
 * event's id to the `EVENTS` queue (`keyward-events`), and this Worker's consumer re-runs them
 * a few seconds later, backing off while they keep failing; after `max_retries` (wrangler.toml)
 * the message goes to `keyward-events-dlq`. The outbox row, not the message, is the record: the
 * cron sweep (./sweep.ts) still finds any row a lost send or a dead letter left unreacted.
 */
export interface EventMessage {
  /** What the message asks for; the queue will carry other kinds (webhook deliveries, DESIGN §8). */
  kind: "reactions";
  event_id: string;
}

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

/** The queue consumer: each message's event reacted (ack) or retried later. */
export async function consumeEvents(batch: MessageBatch<unknown>, env: Bindings): Promise<void> {
  for (const message of batch.messages) {
    const eventId = eventIdOf(message.body);
    // A body that names no event has nothing to retry.
    const done = eventId === null || (await react(env, eventId).catch(() => false));
    if (done) message.ack();
    else message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
  }
}

function eventIdOf(body: unknown): string | null {
  if (typeof body !== "object" || body === null) return null;
  const { kind, event_id: id } = body as Partial<EventMessage>;
  // Messages queued before `kind` existed carry only the id.
  return (kind === undefined || kind === "reactions") && typeof id === "string" ? id : null;
}
