import { loadKeyAuthRecord, type KeyAuthRecord } from "../db/keys";
import type { Bindings } from "../env";
import { now as clockNow } from "../lib/clock";
import { IsolateCache } from "../lib/isolate-cache";

/**
 * Key records for the hot path: an in-isolate map, then KV, then D1 only on a KV miss.
 *
 * Staleness is safe here: every record carries the key's and partner's row versions, and the
 * key's Durable Object refuses a stale version (see KeyGuard.admit), which sends the caller to
 * `freshKeyRecord`. So these TTLs bound memory and KV cost, not correctness.
 *
 * KV layout: `key:<key_id>` → KeyAuthRecord JSON, or `{"missing":true}` (60 s) for an id known not to exist.
 */
const ISOLATE_TTL_MS = 60_000;
const NEGATIVE_TTL_MS = 10_000;
const KV_CACHE_TTL_SECONDS = 60;
// KV's shortest expiration; unknown ids stay cheap without pinning the namespace.
const KV_NEGATIVE_TTL_SECONDS = 60;

const kvKey = (keyId: string) => `key:${keyId}`;
const MISSING = { missing: true } as const;

/** Records by key id; null for an id known not to exist, kept for a shorter time. */
const isolate = new IsolateCache<string, KeyAuthRecord | null>({ max: 10_000 });

function remember(keyId: string, record: KeyAuthRecord | null, now = clockNow()) {
  isolate.set(keyId, record, { ttlMs: record ? ISOLATE_TTL_MS : NEGATIVE_TTL_MS, now });
}

/** Empties this isolate's layer, as a new isolate would start (tests, benchmarks of cold paths). */
export const dropIsolateCache = () => isolate.clear();

export interface CachedRecord {
  record: KeyAuthRecord | null;
  /** True when read from D1 just now, so there is nothing fresher to try. */
  fresh: boolean;
  /**
   * Read from D1 and not yet written to KV: the caller publishes it (`publishToKv`) once a
   * credential proved valid against it, so a once-valid credential never causes a write.
   */
  unpublished?: boolean;
}

/** The record for `keyId` from the nearest layer that has it: this isolate, KV, else D1. */
export async function cachedKeyRecord(env: Bindings, keyId: string): Promise<CachedRecord> {
  const now = clockNow();
  const hit = isolate.get(keyId, now);
  if (hit !== undefined) return { record: hit, fresh: false };

  // KV is only a cache: when it fails, D1 answers.
  const cached = await env.KEY_CACHE.get<KeyAuthRecord | typeof MISSING>(kvKey(keyId), { type: "json", cacheTtl: KV_CACHE_TTL_SECONDS }).catch(
    () => null,
  );
  if (cached !== null) {
    const record = "missing" in cached ? null : cached;
    remember(keyId, record, now);
    return { record, fresh: false };
  }
  const record = await freshKeyRecord(env, keyId);
  return { record, fresh: true, unpublished: record !== null };
}

/**
 * Reads the record from D1 into this isolate. An id that does not exist is written to KV at once
 * (negative caching keeps unknown ids cheap); a record is written only by `publishToKv`, after a
 * credential proved valid against it, or by `publishKeyRecord` after a mutation.
 */
export async function freshKeyRecord(env: Bindings, keyId: string): Promise<KeyAuthRecord | null> {
  const record = await loadKeyAuthRecord(env.DB, keyId);
  remember(keyId, record);
  if (!record) {
    await env.KEY_CACHE.put(kvKey(keyId), JSON.stringify(MISSING), { expirationTtl: KV_NEGATIVE_TTL_SECONDS }).catch((err: unknown) =>
      logCacheFailure(keyId, err),
    );
  }
  return record;
}

/** Writes a record read from D1 to KV. A failed refill costs a later D1 read, never correctness: the guard catches stale copies. */
export async function publishToKv(env: Bindings, record: KeyAuthRecord): Promise<void> {
  await env.KEY_CACHE.put(kvKey(record.key.id), JSON.stringify(record)).catch((err: unknown) => logCacheFailure(record.key.id, err));
}

/**
 * After a mutation: writes the new record to KV, where every isolate finds it, and drops this
 * isolate's copy. The next request usually lands on another isolate anyway; this one behaves alike.
 */
export async function publishKeyRecord(env: Bindings, keyId: string): Promise<KeyAuthRecord | null> {
  const record = await freshKeyRecord(env, keyId);
  if (record) await publishToKv(env, record);
  isolate.delete(keyId);
  return record;
}

function logCacheFailure(keyId: string, err: unknown) {
  console.error(JSON.stringify({ level: "warn", msg: "kv write failed", key_id: keyId, error: err instanceof Error ? err.name : "unknown" }));
}

/** Drops a key from this isolate and from KV, so the next lookup anywhere reads D1. */
export async function forgetKeyRecord(env: Bindings, keyId: string): Promise<void> {
  isolate.delete(keyId);
  await env.KEY_CACHE.delete(kvKey(keyId));
}
