import type { Bindings } from "../env";

/**
 * What the `EVENTS` queue carries (src/events/queue.ts consumes it). Ids only: the outbox and the
 * delivery log hold the state, so a message lost, repeated or dead-lettered changes nothing the
 * sweep cannot repair.
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

/** Queues a retry of the event's reactions. Best effort: if the send fails, the sweep still finds the row. */
export async function retryLater(env: Bindings, eventId: string): Promise<void> {
  const message: EventMessage = { kind: "reactions", event_id: eventId };
  await env.EVENTS.send(message, { delaySeconds: FIRST_RETRY_SECONDS }).catch((err: unknown) =>
    console.error(JSON.stringify({ level: "warn", msg: "event not queued", event_id: eventId, error: err instanceof Error ? err.name : "unknown" })),
  );
}

