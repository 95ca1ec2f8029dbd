import { now as clockNow, sleep } from "../lib/clock";
import type { MultiWindow } from "./multi-window";
import type { Lease, LeaseRequest } from "./policy";

/** Lease bounds: at most this many tokens, for at most this long. */
const MAX_LEASE_TOKENS = 64;
const MAX_LEASE_MS = 1_000;

/**
 * Opt-in (GUARD_LEASE_MS): a few more tokens for the caller's isolate, counted now in every
 * window of the key's tier, so its next requests need no call to the key's guard. Never more than
 * a tenth of what the tightest limit has left, so other isolates are not starved; never past the
 * key's expiry; and never past the earliest bucket end of any window (MultiWindow.bucketEnd): a
 * token spent by then is one the window still counts, so no limit is exceeded in any rolling
 * window, however late in the lease it is spent. Tokens are scaled to the time the lease really
 * gets, so a lease cut short by a bucket end burns no more of the budget than it can serve. On a
 * tier with a 1 s limit that means leases of at most 1/60 s: small, but exact. The guard writes
 * `buckets` behind and waits for `expiresAt` before a mutation answers.
 */
export function leaseFrom(windows: MultiWindow, now: number, asked: LeaseRequest, keyExpiresAt: number | null): (Lease & { buckets: number[] }) | undefined {
  const askedMs = Math.min(asked.ms, MAX_LEASE_MS);
  const expiresAt = Math.min(now + askedMs, keyExpiresAt ?? Infinity, windows.bucketEnd(now));
  if (expiresAt <= now || askedMs <= 0) return undefined;
  const spare = Math.min(...windows.state(now).limits.map((l) => Math.floor(l.remaining / 10)));
  const tokens = Math.min(MAX_LEASE_TOKENS, Math.ceil((asked.tokens * (expiresAt - now)) / askedMs), spare);
  if (tokens <= 0) return undefined;
  const granted = windows.tryAdmit(now, tokens);
  if (!granted.admitted || !granted.buckets) return undefined;
  return { tokens, expiresAt, buckets: granted.buckets };
}

/**
 * The revocation barrier: a mutation returns only once every lease granted under the old policy
 * has expired (`until`: the last one's expiry), so any request sent after its response is decided
 * by the guard, under the new one.
 */
export async function leasesExpired(until: number): Promise<void> {
  const wait = until - clockNow();
  if (wait > 0) await sleep(wait);
}
