import { cachedKeyRecord, freshKeyRecord, publishToKv, type CachedRecord } from "../cache/key-records";
import { keyPrefix } from "../config";
import type { KeyAuthRecord } from "../db/keys";
import type { Bindings } from "../env";
import type { CallerRefusal, RateLimitState } from "../limiter/policy";
import { askGuard } from "../limiter/client";
import { checkAllowlists, allowlistsOf, type RequestFacts } from "../allowlists/compile";
import { constantTimeEqual, verifiedDigest } from "../keys/crypto";
import { parseKey } from "../keys/format";
import { ApiError } from "../lib/problem";
import { isPast } from "../lib/time";
import { readAccessToken, secretBinding } from "../oauth/access-token";
import { recentlyRetired, rememberRetired } from "./retired-credentials";
import { effectiveScopes, missingScopes } from "./scopes";

/** Why a key was refused. Precise for the operator's verify API; collapsed into one 401 elsewhere. */
export type KeyRefusal =
  | "invalid_api_key"
  | "revoked"
  | "expired"
  | "partner_suspended"
  | CallerRefusal
  | "rate_limited"
  | "credits_exhausted";

export type KeyCheck =
  | {
      ok: true;
      auth: KeyAuthRecord;
      scopes: string[];
      ratelimit: RateLimitState;
      credits: number | null;
      /** The stored hash of the secret this credential was checked against (current, or previous in a grace period). */
      secretHash: string;
    }
  | {
      ok: false;
      reason: KeyRefusal;
      /** Present once the key itself was identified (everything but invalid_api_key). */
      auth?: KeyAuthRecord;
      ratelimit?: RateLimitState;
      credits?: number | null;
    };

export interface CheckOptions {
  facts: RequestFacts;
  /** Units this request spends of the rate limit and of credits. */
  cost?: number;
  /** Scopes the request needs; missing ones are refused (`insufficient_scope`) without spending. */
  requiredScopes?: readonly string[];
  /** Only keys of this partner count as valid (a partner verifying keys sees only its own). */
  partnerId?: string;
}

export function pepperOf(env: Bindings): string {
  if (!env.KEY_PEPPER) throw new ApiError("not_configured", "This Keyward deployment has no KEY_PEPPER secret set.");
  return env.KEY_PEPPER;
}

const invalid: KeyCheck = { ok: false, reason: "invalid_api_key" };

/** The stored hashes a credential may still be checked against: the current secret's, and the previous one's in its grace period. */
function liveSecretHashes({ key }: KeyAuthRecord, now: number): string[] {
  const live = [key.secret_hash];
  if (key.previous_secret_hash !== null && !isPast(key.previous_expires_at, now)) live.push(key.previous_secret_hash);
  return live;
}

/** Finds which live secret a credential belongs to; null when none (both compared, in constant time each). */
type Identify = (record: KeyAuthRecord) => Promise<string | null>;

/**
 * Decides whether a presented key may make one request of `cost` units now, and counts it.
 *
 * Cost order: shape and HMAC tag (no I/O) → record from isolate cache, KV, or D1 on a miss →
 * constant-time digest compare → allowlists and scopes (precompiled, no I/O) → one RPC to the
 * key's Durable Object, which owns revocation, expiry, partner status, the rate limit and
 * credits. A cached record the guard finds stale is reloaded from D1 once, so caches never
 * decide anything that must be immediate.
 */
export async function checkKey(env: Bindings, presented: string, options: CheckOptions): Promise<KeyCheck> {
  const parsed = parseKey(presented, keyPrefix(env));
  const pepper = pepperOf(env);
  const digest = parsed && (await verifiedDigest(pepper, parsed));
  if (!parsed || !digest) return invalid;
  const now = Date.now();
  const identify: Identify = async (record) => {
    if (record.key.type !== parsed.type) return null;
    let matched: string | null = null;
    for (const hash of liveSecretHashes(record, now)) if (constantTimeEqual(digest, hash)) matched = hash;
    return matched;
  };
  return admit(env, parsed.keyId, `key:${digest}`, identify, null, options);
}

/**
 * The same decision for an access token from /oauth2/token. A token lives no longer than the
 * secret that minted it: it is refused from the moment that secret is (rotation without grace,
 * the end of a grace period, revocation, expiry, suspension), never by clock arithmetic.
 */
export async function checkAccessToken(env: Bindings, token: string, options: CheckOptions): Promise<KeyCheck> {
  const claims = await readAccessToken(pepperOf(env), token);
  if (!claims) return invalid;
  const now = Date.now();
  const identify: Identify = async (record) => {
    for (const hash of liveSecretHashes(record, now)) if (constantTimeEqual(claims.sec, await secretBinding(hash))) return hash;
    return null;
  };
  return admit(env, claims.sub, `token:${claims.jti}`, identify, claims.scope.split(" ").filter(Boolean), options);
}

async function admit(
  env: Bindings,
  keyId: string,
  credential: string,
  identify: Identify,
  tokenScopes: string[] | null,
  options: CheckOptions,
): Promise<KeyCheck> {
  const cost = options.cost ?? 1;
  let { record, fresh, unpublished }: CachedRecord = await cachedKeyRecord(env, keyId);
  if (record && !fresh && recentlyRetired(credential)) return invalid;
  let secretHash = record && (await identify(record));
  // A credential that misses its cached record was most likely just rotated in: check D1 once.
  // One that D1 refused (a rotated-out secret, a retired token) is not read again for a minute,
  // and never causes a write: a record read from D1 reaches KV only once a credential proved it.
  if (record && !fresh && !secretHash) {
    const known = record;
    record = await freshKeyRecord(env, keyId);
    fresh = true;
    unpublished = record !== null && (record.key.version !== known.key.version || record.partner.version !== known.partner.version);
    secretHash = record && (await identify(record));
  }
  if (record && !secretHash) rememberRetired(credential);
  if (!record || !secretHash) return invalid;
  if (unpublished) await publishToKv(env, record);
  if (options.partnerId !== undefined && record.partner.id !== options.partnerId) return invalid;

  const scopesOf = (r: KeyAuthRecord) => {
    const own = effectiveScopes(r.key.scopes, r.user ? r.user.permissions : null);
    return tokenScopes === null ? own : tokenScopes.filter((s) => own.includes(s));
  };
  const refusalFor = (r: KeyAuthRecord, scopes: string[]): CallerRefusal | null =>
    checkAllowlists(allowlistsOf(r), options.facts) ??
    (missingScopes(options.requiredScopes ?? [], scopes).length > 0 ? "insufficient_scope" : null);

  let scopes = scopesOf(record);
  let verdict = await askGuard(env, record, cost, refusalFor(record, scopes));
  if (verdict.outcome === "stale" && !fresh) {
    record = await freshKeyRecord(env, keyId);
    secretHash = record && (await identify(record));
    if (!record || !secretHash) return invalid;
    await publishToKv(env, record);
    scopes = scopesOf(record);
    verdict = await askGuard(env, record, cost, refusalFor(record, scopes));
  }
  if (verdict.outcome === "stale") {
    // D1 itself is behind the guard: a replica lag, not the caller's fault.
    throw new ApiError("temporarily_unavailable", "Key state is settling after a change. Retry shortly.", {
      headers: { "retry-after": "1" },
    });
  }
  if (verdict.outcome === "unknown") return invalid;
  if (verdict.outcome === "ok") {
    return { ok: true, auth: record, scopes, ratelimit: verdict.ratelimit, credits: verdict.credits, secretHash };
  }
  return { ok: false, reason: verdict.outcome, auth: record, ratelimit: verdict.ratelimit, credits: verdict.credits };
}
