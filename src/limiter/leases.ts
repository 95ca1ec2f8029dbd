import { now as clockNow } from "../lib/clock";
import { IsolateCache } from "../lib/isolate-cache";
import { rateLimitStateOf } from "./multi-window";
import { isUnder, learnedUnder, type LearnedUnder, type Lease, type RateLimitState, type RecordVersion } from "./policy";

/**
 * This isolate's leased rate-limit tokens, per key (on by default; GUARD_LEASE_MS=0 turns them off). Tokens were
 * counted by the key's guard when granted, in every limit of the key's tier, so spending them here
 * can never exceed any limit. A lease is bound to the record version it was granted under and
 * dies at `expiresAt` (≤ 1 s, and no later than its windows still count its tokens: ./guard-leases.ts);
 * mutations wait for every outstanding lease to expire before they answer.
 *
 * Leases are sized by demand: an isolate asks for as many tokens as it served for that key in the
 * previous second, and nothing below LEASE_MIN_DEMAND. A quiet key therefore stays exact per
 * request and never has its budget burnt by unspent leases; a busy one loses at most about one
 * second of its own traffic's tokens when that traffic stops.
 */
interface Held extends LearnedUnder {
  tokens: number;
  expiresAt: number;
  ratelimit: RateLimitState;
}

/** Requests per second, per key and isolate, below which no lease is asked for. */
export const LEASE_MIN_DEMAND = 4;
const MAX_KEYS = 10_000;
/** Fresh until the lease's `expiresAt`. */
const held = new IsolateCache<string, Held>({ max: MAX_KEYS });
/** Requests per key in this second and the previous one; a count two seconds old is reset on read. */
const demand = new IsolateCache<string, { second: number; current: number; previous: number }>({ max: MAX_KEYS });
const refills = new Map<string, Promise<unknown>>();

/**
 * What this isolate reports: the guard's count at the grant plus the leased tokens still unspent
 * here, which are reserved but not used. So RateLimit-Remaining still falls by one per request.
 */
const reported = (lease: Held): RateLimitState =>
  rateLimitStateOf(lease.ratelimit.limits.map((l) => ({ ...l, remaining: l.remaining + lease.tokens })));

/** Spends `cost` leased tokens if a live lease for this record version has them; the rate-limit state after it. */
export function spendLeased(keyId: string, version: RecordVersion, cost: number, now = clockNow()): RateLimitState | null {
  const lease = held.get(keyId, now);
  if (!lease || !isUnder(lease, version)) return null;
  if (lease.tokens < cost) return null;
  lease.tokens -= cost;
  return reported(lease);
}

/**
 * Keeps a granted lease and returns the state to report for the request that got it. A live lease
 * of the same version is topped up rather than replaced, so concurrent refills lose no counted
 * token; the sum expires with the earlier of the two.
 */
export function holdLease(keyId: string, version: RecordVersion, lease: Lease, ratelimit: RateLimitState, now = clockNow()): RateLimitState {
  const live = held.get(keyId, now);
  const kept: Held =
    live && isUnder(live, version)
      ? { ...live, tokens: live.tokens + lease.tokens, expiresAt: Math.min(live.expiresAt, lease.expiresAt), ratelimit }
      : { ...lease, ...learnedUnder(version), ratelimit };
  held.set(keyId, kept, { ttlMs: kept.expiresAt - now, now });
  return reported(kept);
}

/** Counts one request for `keyId` and returns how many tokens a lease asked for now should carry (0: ask for none). */
export function leaseDemand(keyId: string, now = clockNow()): number {
  const second = Math.floor(now / 1000);
  let seen = demand.get(keyId, now);
  if (!seen) {
    seen = { second, current: 0, previous: 0 };
    demand.set(keyId, seen);
  }
  if (seen.second !== second) {
    seen.previous = seen.second === second - 1 ? seen.current : 0;
    seen.current = 0;
    seen.second = second;
  }
  seen.current += 1;
  const expected = Math.max(seen.previous, seen.current);
  return expected >= LEASE_MIN_DEMAND ? expected : 0;
}

/**
 * Single flight per key: while one request of this isolate is fetching a lease, the others wait
 * for it and spend from it instead of each calling the guard. Synchronous on purpose: a check
 * that awaited would let every concurrent request pass it before the first one registers.
 */
export function refillInFlight(keyId: string): Promise<unknown> | undefined {
  return refills.get(keyId);
}

export function trackRefill(keyId: string, call: PromiseLike<unknown>): void {
  const settled: Promise<unknown> = Promise.resolve(call)
    .catch(() => undefined)
    .finally(() => {
      if (refills.get(keyId) === settled) refills.delete(keyId);
    });
  refills.set(keyId, settled);
}

/**
 * The lease length when GUARD_LEASE_MS is unset. Leases are the default (issue 15): they keep every
 * promise of per-request decisions (never over a limit, revocation on the next request, quiet keys
 * exact) and take the hot path to ≥ 0.85× an empty Worker. The length bounds what a mutation of a
 * busy key waits for its leases to expire; 250 ms is as fast as 1,000 ms at the hot path (a lease
 * holds at most 64 tokens either way) for a quarter of the wait (README, Performance).
 */
export const DEFAULT_LEASE_MS = 250;

/** GUARD_LEASE_MS as milliseconds: DEFAULT_LEASE_MS when unset, 0 (off) for `0` or anything but 1..1000 (capped at 1000). */
export function leaseMsOf(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return DEFAULT_LEASE_MS;
  const ms = Number(value);
  return Number.isInteger(ms) && ms > 0 ? Math.min(ms, 1_000) : 0;
}
