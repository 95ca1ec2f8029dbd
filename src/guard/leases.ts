import type { Lease, RateLimitState, RecordVersion } from "./policy";

/**
 * This isolate's leased rate-limit tokens, per key (opt-in: GUARD_LEASE_MS > 0). Tokens were
 * counted by the key's guard when granted, so spending them here can never exceed the limit. A
 * lease is bound to the record version it was granted under and dies at `expiresAt` (≤ 1 s);
 * mutations wait for every outstanding lease to expire before they answer.
 */
interface Held {
  tokens: number;
  expiresAt: number;
  keyVersion: number;
  partnerVersion: number;
  ratelimit: RateLimitState;
}

const MAX_KEYS = 10_000;
const held = new Map<string, Held>();

/** Spends `cost` leased tokens if a live lease for this record version has them; the rate-limit state as of the grant. */
export function spendLeased(keyId: string, version: RecordVersion, cost: number, now = Date.now()): RateLimitState | null {
  const lease = held.get(keyId);
  if (!lease || lease.expiresAt <= now || lease.keyVersion !== version.key || lease.partnerVersion !== version.partner) return null;
  if (lease.tokens < cost) return null;
  lease.tokens -= cost;
  return lease.ratelimit;
}

export function holdLease(keyId: string, version: RecordVersion, lease: Lease, ratelimit: RateLimitState): void {
  if (held.size >= MAX_KEYS && !held.has(keyId)) held.delete(held.keys().next().value!);
  held.set(keyId, { ...lease, keyVersion: version.key, partnerVersion: version.partner, ratelimit });
}

/** GUARD_LEASE_MS as a number of milliseconds, 0 (off) unless set to 1..1000. */
export function leaseMsOf(value: string | undefined): number {
  const ms = Number(value ?? 0);
  return Number.isInteger(ms) && ms > 0 ? Math.min(ms, 1_000) : 0;
}
