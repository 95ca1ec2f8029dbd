import { now as clockNow } from "../lib/clock";
import { IsolateCache } from "../lib/isolate-cache";
import { rateLimitStateOf } from "./multi-window";
import { isUnder, learnedUnder, type LearnedUnder, type RateLimitState, type RecordVersion } from "./policy";

/**
 * Keys this isolate has just seen refused with a full window, so a client hammering past its
 * limit costs no Durable Object call per request: a flood of 429s would otherwise all queue on
 * the one object that also serves the key's legitimate traffic.
 *
 * Refusing locally never admits anything, and is exact about the limits: until `admitsAt` (when
 * every limit of the key's tier admits one request again) some limit stays full, since no request
 * is admitted meanwhile that could make it sooner. It is held for at most HOLD_MS and only for the
 * record version it was learned under, so a change made through another isolate (a higher tier,
 * a revocation) is seen within that second at most; through this one, at once.
 */
interface Limited extends LearnedUnder {
  /** When every limit admits one request again. Refused locally until then, or for HOLD_MS at most. */
  admitsAt: number;
  /** The guard's state when it refused, and when that was. */
  ratelimit: RateLimitState;
  at: number;
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
  // Resets were capped at their windows by the guard; they only shrink from there. A full limit
  // frees no later than `admitsAt`, and reads at least 1 s until then.
  const elapsed = now - entry.at;
  const retryAfter = Math.max(1, Math.ceil((entry.admitsAt - now) / 1000));
  const limits = entry.ratelimit.limits.map((l) => {
    const reset = Math.max(0, Math.ceil((l.reset * 1000 - elapsed) / 1000));
    return { ...l, reset: l.remaining === 0 ? Math.max(1, Math.min(reset, retryAfter)) : reset };
  });
  return rateLimitStateOf(limits, retryAfter);
}

/**
 * Remembers a refusal of one unit by the key's guard; `admitsAt` is when every limit admits one
 * again. Only a full limit counts (remaining 0): a refusal of a costly request says nothing about
 * a cheaper one.
 */
export function rememberLimited(keyId: string, version: RecordVersion, ratelimit: RateLimitState, admitsAt: number | undefined, now = clockNow()): void {
  if (ratelimit.remaining > 0 || admitsAt === undefined || !Number.isFinite(admitsAt) || admitsAt <= now) return;
  limited.set(keyId, { admitsAt, ratelimit, at: now, ...learnedUnder(version) }, { ttlMs: Math.min(admitsAt - now, HOLD_MS), now });
}
