import { now as clockNow } from "../lib/clock";
import { cachedKeyRecord, freshKeyRecord, publishToKv, type CachedRecord } from "../cache/key-records";
import type { KeyAuthRecord } from "../db/keys";
import type { Bindings } from "../env";
import type { CallerRefusal, CreditsSource, RateLimitState } from "../limiter/policy";
import { askGuard } from "../limiter/client";
import { checkAllowlists, allowlistsOf, type RequestFacts } from "../allowlists/compile";
import { constantTimeEqual, verifiedDigest } from "../keys/crypto";
import type { ParsedKey } from "../keys/format";
import { ApiError } from "../lib/problem";
import { isPast } from "../lib/time";
import { readAccessToken, secretBinding } from "../oauth/access-token";
import type { Credential } from "./credentials";
import type { CheckedKey } from "./principal";
import { recentlyRetired, rememberRetired } from "./retired-credentials";
import { effectiveScopes, missingScopes } from "./scopes";

/** Why a key was refused. Precise for the operator's verify API; collapsed into one 401 elsewhere. */
export type KeyRefusal =
  | "invalid_api_key"
  | "revoked"
  | "expired"
  | "partner_suspended"
  | "user_deactivated"
  | CallerRefusal
  | "rate_limited"
  | "credits_exhausted";

/** What a check knows once the key itself is identified: everything but `invalid_api_key`. */
/** `reported`: for a key of a pooled partner, the balance verify reports and whose it is (src/limiter/budget.ts). */
type Identified = CheckedKey & { ratelimit: RateLimitState; reported?: { balance: number | null; source: CreditsSource } };

export type KeyCheck =
  | (Identified & {
      ok: true;
      /** What this credential may use: `keyScopes`, or an access token's share of them. */
      scopes: string[];
      /** The stored hash of the secret this credential was checked against (current, or previous in a grace period). */
      secretHash: string;
    })
  | (Identified & { ok: false; reason: Exclude<KeyRefusal, "invalid_api_key"> })
  | { ok: false; reason: "invalid_api_key"; auth?: undefined; ratelimit?: undefined; reported?: undefined };

export interface CheckOptions {
  facts: RequestFacts;
  /** Units this request spends of the rate limit and of credits. */
  cost?: number;
  /** Scopes the request needs; missing ones are refused (`insufficient_scope`) without spending. */
  requiredScopes?: readonly string[];
  /** Only keys of this partner count as valid (a partner verifying keys sees only its own). */
  partnerId?: string;
  /** Whether an access token may stand for its key; not where a key is exchanged for a token. Default true. */
  acceptTokens?: boolean;
}

export function pepperOf(env: Bindings): string {
  if (!env.KEY_PEPPER) throw new ApiError("not_configured", "This Keyward deployment has no KEY_PEPPER secret set.");
  return env.KEY_PEPPER;
}

const invalid: KeyCheck = { ok: false, reason: "invalid_api_key" };

/** The stored hashes a credential may still be checked against: the current secret's, and the previous one's in its grace period. */
export function liveSecretHashes({ key }: KeyAuthRecord, now: number): string[] {
  const live = [key.secret_hash];
  if (key.previous_secret_hash !== null && !isPast(key.previous_expires_at, now)) live.push(key.previous_secret_hash);
  return live;
}

/**
 * The stored hash among `hashes` that a verified key digest equals, or null. Every one is compared,
 * each in constant time, so the answer's timing does not tell which (or whether one) matched.
 */
export function matchingHash(digest: string, hashes: readonly string[]): string | null {
  let matched: string | null = null;
  for (const hash of hashes) if (constantTimeEqual(digest, hash)) matched = hash;
  return matched;
}

/** Finds which live secret a credential belongs to; null when none (both compared, in constant time each). */
type Identify = (record: KeyAuthRecord) => Promise<string | null>;

/**
 * Decides whether a presented credential may make one request of `cost` units now, and counts it.
 * Access tokens and keys take the same path once their key is known.
 *
 * Cost order: shape (classified once, by `classifyCredential`) and HMAC tag or token signature
 * (no I/O) → record from isolate cache, KV, or D1 on a miss → constant-time digest compare →
 * allowlists and scopes (precompiled, no I/O) → one RPC to the key's Durable Object, which owns
 * revocation, expiry, partner status, the user's status, the rate limit and credits. A cached record the guard finds
 * stale is reloaded from D1 once, so caches never decide anything that must be immediate.
 */
export async function checkCredential(env: Bindings, credential: Credential, options: CheckOptions): Promise<KeyCheck> {
  const pepper = pepperOf(env);
  if (credential.kind === "key") return checkKey(env, pepper, credential.key, options);
  if (credential.kind === "token" && options.acceptTokens !== false) return checkAccessToken(env, pepper, credential.token, options);
  return invalid;
}

async function checkKey(env: Bindings, pepper: string, parsed: ParsedKey, options: CheckOptions): Promise<KeyCheck> {
  const digest = await verifiedDigest(pepper, parsed);
  if (!digest) return invalid;
  const now = clockNow();
  const identify: Identify = async (record) => {
    if (record.key.type !== parsed.type) return null;
    return matchingHash(digest, liveSecretHashes(record, now));
  };
  return admit(env, parsed.keyId, `key:${digest}`, identify, null, options);
}

/**
 * A token lives no longer than the secret that minted it: it is refused from the moment that
 * secret is (rotation without grace, the end of a grace period, revocation, expiry, suspension),
 * never by clock arithmetic.
 */
async function checkAccessToken(env: Bindings, pepper: string, token: string, options: CheckOptions): Promise<KeyCheck> {
  const claims = await readAccessToken(pepper, token);
  if (!claims) return invalid;
  const now = clockNow();
  const identify: Identify = async (record) => {
    for (const hash of liveSecretHashes(record, now)) if (constantTimeEqual(claims.sec, await secretBinding(hash))) return hash;
    return null;
  };
  return admit(env, claims.sub, `token:${claims.jti}`, identify, claims.scope.split(" ").filter(Boolean), options);
}

/** A record the credential proved valid against, and whether it came from D1 just now. */
interface Identification {
  record: KeyAuthRecord;
  secretHash: string;
  fresh: boolean;
}

/**
 * Finds the key's record and the live secret the credential matches. A credential that misses its
 * cached record was most likely just rotated in: D1 is checked once. One that D1 refused (a
 * rotated-out secret, a retired token) is not read again for a minute, and never causes a write:
 * a record read from D1 reaches KV only once a credential proved it.
 */
async function identified(env: Bindings, keyId: string, credential: string, identify: Identify): Promise<Identification | null> {
  let { record, fresh, unpublished }: CachedRecord = await cachedKeyRecord(env, keyId);
  if (record && !fresh && recentlyRetired(credential)) return null;
  let secretHash = record && (await identify(record));
  if (record && !fresh && !secretHash) {
    const known = record;
    record = await freshKeyRecord(env, keyId);
    fresh = true;
    unpublished = record !== null && (record.key.version !== known.key.version || record.partner.version !== known.partner.version);
    secretHash = record && (await identify(record));
  }
  if (record && !secretHash) rememberRetired(credential);
  if (!record || !secretHash) return null;
  if (unpublished) await publishToKv(env, record);
  return { record, secretHash, fresh };
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
  let found = await identified(env, keyId, credential, identify);
  if (!found || (options.partnerId !== undefined && found.record.partner.id !== options.partnerId)) return invalid;
  for (;;) {
    const { record, secretHash, fresh } = found;
    const keyScopes = effectiveScopes(record.key.scopes, record.user ? record.user.permissions : null);
    const scopes = tokenScopes === null ? keyScopes : tokenScopes.filter((s) => keyScopes.includes(s));
    const refusal: CallerRefusal | null =
      checkAllowlists(allowlistsOf(record), options.facts) ??
      (missingScopes(options.requiredScopes ?? [], scopes).length > 0 ? "insufficient_scope" : null);
    const verdict = await askGuard(env, record, cost, refusal);
    if (verdict.outcome === "stale") {
      // The guard knows a newer record than this one: D1 has it (the cache held an older one, or the
      // partner changed again since it was read: a budget hand-over lost to a newer version), and
      // the credential must still match it. Each retry holds a newer record, so this ends.
      const reloaded = await freshKeyRecord(env, keyId);
      if (fresh && reloaded && !newerRecord(reloaded, record)) {
        // D1 itself is behind the guard: a replica lag, not the caller's fault.
        throw new ApiError("temporarily_unavailable", "Key state is settling after a change. Retry shortly.", {
          headers: { "retry-after": "1" },
        });
      }
      const hash = reloaded && (await identify(reloaded));
      if (!reloaded || !hash) return invalid;
      await publishToKv(env, reloaded);
      found = { record: reloaded, secretHash: hash, fresh: true };
      continue;
    }
    if (verdict.outcome === "unknown") return invalid;
    const checked = { auth: record, keyScopes, ratelimit: verdict.ratelimit, credits: verdict.credits, ...(verdict.reported && { reported: verdict.reported }) };
    return verdict.outcome === "ok" ? { ok: true, ...checked, scopes, secretHash } : { ok: false, reason: verdict.outcome, ...checked };
  }
}

/** Whether `record` is a later version of the key or its partner than `than`. */
const newerRecord = (record: KeyAuthRecord, than: KeyAuthRecord) => record.key.version > than.key.version || record.partner.version > than.partner.version;
