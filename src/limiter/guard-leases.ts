import { now as clockNow, sleep } from "../lib/clock";
import type { Lease, LeaseRequest } from "./policy";
import type { SlidingWindow } from "./sliding-window";

/** Lease bounds: at most this many tokens, for at most this long. */
const MAX_LEASE_TOKENS = 16;
const MAX_LEASE_MS = 1_000;

/**
 * Opt-in (GUARD_LEASE_MS): a few more tokens for the caller's isolate, counted in `window` now, so
 * its next requests need no call to the key's guard. Never more than a tenth of what remains, so
 * other isolates are not starved, and never past the key's expiry. The guard writes `bucket`
 * behind and waits for `expiresAt` before a mutation answers.
 */
export function leaseFrom(window: SlidingWindow, now: number, asked: LeaseRequest, keyExpiresAt: number | null): (Lease & { bucket: number }) | undefined {
  const tokens = Math.min(MAX_LEASE_TOKENS, asked.tokens, Math.floor((window.limit - window.used(now)) / 10));
  if (tokens <= 0) return undefined;
  const granted = window.tryAdmit(now, tokens);
  if (!granted.admitted || granted.bucket === undefined) return undefined;
  return { tokens, expiresAt: Math.min(now + Math.min(asked.ms, MAX_LEASE_MS), keyExpiresAt ?? Infinity), bucket: granted.bucket };
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
