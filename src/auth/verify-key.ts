import { freshKeyRecord, cachedKeyRecord } from "../cache/key-records";
import { keyPrefix } from "../config";
import type { KeyAuthRecord } from "../db/keys";
import type { Bindings } from "../env";
import { versionOf, type GuardVerdict, type RateLimitState } from "../guard/policy";
import { guardOf } from "../guard/stub";
import { checkRequest, guardsOf, type GuardRefusal, type RequestFacts } from "../guards/compile";
import { constantTimeEqual, hashKey, hasValidTag } from "../keys/crypto";
import { parseKey } from "../keys/format";
import { ApiError } from "../lib/problem";
import { isPast } from "../lib/time";

/** Why a key was refused. Precise for the operator's verify API; collapsed into one 401 elsewhere. */
export type KeyRefusal =
  | "invalid_api_key"
  | "revoked"
  | "expired"
  | "partner_suspended"
  | GuardRefusal
  | "rate_limited"
  | "credits_exhausted";

export type KeyCheck =
  | { ok: true; auth: KeyAuthRecord; ratelimit: RateLimitState; credits: number | null }
  | { ok: false; reason: KeyRefusal; ratelimit?: RateLimitState; credits?: number | null };

export function pepperOf(env: Bindings): string {
  if (!env.KEY_PEPPER) throw new ApiError(503, "not_configured", "This Keyward deployment has no KEY_PEPPER secret set.");
  return env.KEY_PEPPER;
}

function secretMatches(record: KeyAuthRecord, digest: string, now: number): boolean {
  const { key } = record;
  const current = constantTimeEqual(digest, key.secret_hash);
  const previous =
    key.previous_secret_hash !== null &&
    !isPast(key.previous_expires_at, now) &&
    constantTimeEqual(digest, key.previous_secret_hash);
  return current || previous;
}

/**
 * Decides whether a presented key may make one request of `cost` units now, and counts it.
 *
 * Cost order: shape and HMAC tag (no I/O) → record from isolate cache, KV, or D1 on a miss →
 * constant-time digest compare → allowlists (Origin, IP, User-Agent; precompiled, no I/O) → one
 * RPC to the key's Durable Object, which owns revocation, expiry, partner status, the rate limit
 * and credits. A cached record the guard finds stale is
 * reloaded from D1 once, so caches never decide anything that must be immediate.
 */
export async function checkKey(env: Bindings, presented: string, facts: RequestFacts, cost = 1): Promise<KeyCheck> {
  const parsed = parseKey(presented, keyPrefix(env));
  const pepper = pepperOf(env);
  if (!parsed || !(await hasValidTag(pepper, parsed))) return { ok: false, reason: "invalid_api_key" };

  const now = Date.now();
  const digest = await hashKey(pepper, parsed.full);
  let { record, fresh } = await cachedKeyRecord(env, parsed.keyId);
  // A tag-valid key that misses its cached digest was most likely just rotated in: check D1 once.
  if (record && !fresh && !secretMatches(record, digest, now)) {
    record = await freshKeyRecord(env, parsed.keyId);
    fresh = true;
  }
  if (!record || record.key.type !== parsed.type || !secretMatches(record, digest, now)) {
    return { ok: false, reason: "invalid_api_key" };
  }

  const guard = guardOf(env, parsed.keyId);
  let verdict: GuardVerdict = await guard.admit(parsed.keyId, versionOf(record), cost, checkRequest(guardsOf(record), facts));
  if (verdict.outcome === "stale" && !fresh) {
    record = await freshKeyRecord(env, parsed.keyId);
    if (!record || !secretMatches(record, digest, now)) return { ok: false, reason: "invalid_api_key" };
    verdict = await guard.admit(parsed.keyId, versionOf(record), cost, checkRequest(guardsOf(record), facts));
  }

  switch (verdict.outcome) {
    case "ok":
      return { ok: true, auth: record, ratelimit: verdict.ratelimit, credits: verdict.credits };
    case "rate_limited":
    case "credits_exhausted":
      return { ok: false, reason: verdict.outcome, ratelimit: verdict.ratelimit, credits: verdict.credits };
    case "revoked":
    case "expired":
    case "partner_suspended":
    case "origin_not_allowed":
    case "ip_not_allowed":
    case "agent_not_allowed":
      return { ok: false, reason: verdict.outcome };
    case "stale":
      // D1 itself is behind the guard: a replica lag, not the caller's fault.
      throw new ApiError(503, "temporarily_unavailable", "Key state is settling after a change. Retry shortly.", {
        headers: { "retry-after": "1" },
      });
    default:
      return { ok: false, reason: "invalid_api_key" };
  }
}
