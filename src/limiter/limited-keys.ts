import { now as clockNow } from "../lib/clock";
import { IsolateCache } from "../lib/isolate-cache";
import { isUnder, learnedUnder, type LearnedUnder, type RateLimitState, type RecordVersion } from "./policy";

/**
 * Keys this isolate has just seen refused with a full window, so a client hammering past its
 * limit costs no Durable Object call per request: a flood of 429s would otherwise all queue on
 * the one object that also serves the key's legitimate traffic.
 *
 * Refusing locally never admits anything, and is exact about the limit: until `freesAt` not one
 * counted request leaves the window, so nothing could fit. It is held for at most HOLD_MS and only
 * for the record version it was learned under, so a change made through another isolate (a higher
 * tier, a revocation) is seen within that second at most; through this one, at once.
 */
interface Limited extends LearnedUnder {
  /** When the oldest counted request leaves the window. Refused locally until then, or for HOLD_MS at most. */
  freesAt: number;
  limit: number;
  /** The guard's reset when it refused, which is capped at the window; it only shrinks from there. */
  reset: number;
}

export const HOLD_MS = 1_000;
const limited = new IsolateCache<string, Limited>({ max: 10_000 });

/** The 429 state to answer with, if `keyId` is known to have a full window now. */
export function knownLimited(keyId: string, version: RecordVersion, now = clockNow()): RateLimitState | null {
  const entry = limited.get(keyId, now);
  if (!entry) return null;
  if (!isUnder(entry, version)) {
    limited.delete(keyId);
    return null;
  }
  return { limit: entry.limit, remaining: 0, reset: Math.min(entry.reset, Math.max(1, Math.ceil((entry.freesAt - now) / 1000))) };
}

/**
 * Remembers a refusal by the key's guard. Only a full window counts (remaining 0): a refusal of a
 * costly request says nothing about a cheaper one.
 */
export function rememberLimited(keyId: string, version: RecordVersion, ratelimit: RateLimitState, freesAt: number | null | undefined, now = clockNow()): void {
  if (ratelimit.remaining > 0 || freesAt == null || freesAt <= now) return;
  const entry = { freesAt, limit: ratelimit.limit, reset: ratelimit.reset, ...learnedUnder(version) };
  limited.set(keyId, entry, { ttlMs: Math.min(freesAt - now, HOLD_MS), now });
}
