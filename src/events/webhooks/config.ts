import type { Bindings } from "../../env";

/** DESIGN §8's default schedule: eleven retries over about 2.5 days, then the attempt is failed. */
export const DEFAULT_RETRY_DELAYS = [5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200, 86400] as const;

const parsed = new Map<string, readonly number[]>();

/**
 * Seconds before each retry, from the var `WEBHOOK_RETRY_DELAYS` (comma-separated). A value that
 * is not a list of positive integers falls back to the default (logged once per isolate) rather
 * than leaving failed deliveries without retries.
 */
export function retryDelays(env: Pick<Bindings, "WEBHOOK_RETRY_DELAYS">): readonly number[] {
  const raw = env.WEBHOOK_RETRY_DELAYS ?? "";
  let delays = parsed.get(raw);
  if (delays) return delays;
  const values = raw.split(",").map((part) => Number(part.trim()));
  const valid = raw.trim() !== "" && values.every((v) => Number.isSafeInteger(v) && v > 0 && v <= 30 * 86_400);
  if (!valid && raw.trim() !== "") console.error(JSON.stringify({ level: "warn", msg: "WEBHOOK_RETRY_DELAYS ignored: not a list of positive seconds" }));
  delays = valid ? values : DEFAULT_RETRY_DELAYS;
  parsed.set(raw, delays);
  return delays;
}

/** `WEBHOOK_ALLOW_LOCAL=on` (local development only): http, any port and loopback targets. */
export const allowLocalTargets = (env: Pick<Bindings, "WEBHOOK_ALLOW_LOCAL">) => env.WEBHOOK_ALLOW_LOCAL === "on";

/** One attempt's deadline: a receiver should answer fast and do its work later. */
export const ATTEMPT_TIMEOUT_MS = 10_000;

/** How long a sender holds an attempt: past its timeout, so a sender that died frees it soon after. */
export const DELIVERY_CLAIM_MS = 30_000;

/**
 * An endpoint that has failed every attempt for this long (no success in between) is disabled,
 * with a `webhook.disabled` audit event: long enough to ride out a weekend's outage, short enough
 * that a dead endpoint stops costing retries (Svix uses the same five days).
 */
export const DISABLE_AFTER_MS = 5 * 86_400_000;

/** Cloudflare Queues delays a message by at most 12 hours; longer waits are re-queued when they come due early. */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;

/** How much of a receiver's answer the delivery log keeps: enough to read an error, never a stored copy. */
export const RESPONSE_EXCERPT_CHARS = 256;

/** Attempts are kept this long in the delivery log. */
export const DELIVERY_RETENTION_MS = 30 * 86_400_000;
