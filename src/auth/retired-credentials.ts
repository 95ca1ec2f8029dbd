import { IsolateCache } from "../lib/isolate-cache";
import { now as clockNow } from "../lib/clock";

/**
 * Credentials this isolate just saw D1 refuse although they were valid once: a rotated-out
 * secret, a token of a retired secret. Without this memory each such request would cost a D1
 * read and a KV write, so a leaked old secret could burn storage capacity at will. With it, each
 * costs at most one read per isolate per minute, and no write (DESIGN §3a). Keyed by the
 * credential's digest or token id, never by the secret itself.
 */
const retired = new IsolateCache<string, true>({ max: 10_000, ttlMs: 60_000 });

/** Whether `credential` (a digest or token id) was refused by D1 within the last minute. */
export function recentlyRetired(credential: string, now = clockNow()): boolean {
  return retired.get(credential, now) !== undefined;
}

/** Remembers that D1 refused `credential`, for a minute. */
export function rememberRetired(credential: string, now = clockNow()): void {
  retired.set(credential, true, { now });
}
