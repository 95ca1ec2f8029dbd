import { setBounded } from "../lib/bounded-map";
import { now as clockNow } from "../lib/clock";

/**
 * Credentials this isolate just saw D1 refuse although they were valid once: a rotated-out
 * secret, a token of a retired secret. Without this memory each such request would cost a D1
 * read and a KV write, so a leaked old secret could burn storage capacity at will. With it, each
 * costs at most one read per isolate per minute, and no write (DESIGN §3a). Keyed by the
 * credential's digest or token id, never by the secret itself.
 */
const RETIRED_TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;
const retired = new Map<string, number>();

export function recentlyRetired(credential: string, now = clockNow()): boolean {
  const until = retired.get(credential);
  if (until === undefined) return false;
  if (until > now) return true;
  retired.delete(credential);
  return false;
}

export function rememberRetired(credential: string, now = clockNow()): void {
  setBounded(retired, credential, now + RETIRED_TTL_MS, MAX_ENTRIES);
}
