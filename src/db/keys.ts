import type { KeyType } from "../keys/format";
import { isPast } from "../lib/time";
import { parseList } from "./json";
import { toPartner, type Partner } from "./partners";
import { toUser, type User } from "./users";

export type KeyStatus = "active" | "revoked" | "expired";

/** A key row as stored, hashes included: never serialized directly. */
export interface ApiKeyRecord {
  seq: number;
  id: string;
  partner_id: string;
  user_id: string | null;
  name: string;
  description: string | null;
  type: KeyType;
  prefix: string;
  last_four: string;
  secret_hash: string;
  hash_version: number;
  previous_secret_hash: string | null;
  previous_expires_at: string | null;
  scopes: string[];
  resources: string[];
  allowed_origins: string[];
  allowed_ips: string[];
  allowed_agents: string[];
  rate_limit_tier: string | null;
  credits_remaining: number | null;
  expires_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
  created_at: string;
  created_by: string;
  created_by_name: string | null;
  revoked_by_name: string | null;
  last_used_at: string | null;
  secret_rotated_at: string | null;
  version: number;
  updated_at: string;
}

export const toKey = (row: Record<string, unknown>): ApiKeyRecord => ({
  ...(row as unknown as ApiKeyRecord),
  scopes: parseList(row.scopes),
  resources: parseList(row.resources),
  allowed_origins: parseList(row.allowed_origins),
  allowed_ips: parseList(row.allowed_ips),
  allowed_agents: parseList(row.allowed_agents),
});

export function keyStatus(key: Pick<ApiKeyRecord, "revoked_at" | "expires_at">, now = Date.now()): KeyStatus {
  if (key.revoked_at) return "revoked";
  return isPast(key.expires_at, now) ? "expired" : "active";
}

export const keySql = {
  insert: `INSERT INTO api_keys (id, partner_id, user_id, name, description, type, prefix, last_four, secret_hash, hash_version,
             scopes, resources, allowed_origins, allowed_ips, allowed_agents, rate_limit_tier, credits_remaining, expires_at,
             created_at, created_by, created_by_name, updated_at)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?19)`,
  byId: `SELECT * FROM api_keys WHERE id = ?1`,
  partnerOfKey: `SELECT * FROM partners WHERE id = (SELECT partner_id FROM api_keys WHERE id = ?1)`,
  userOfKey: `SELECT * FROM users WHERE id = (SELECT user_id FROM api_keys WHERE id = ?1)`,
  page: `SELECT * FROM api_keys
         WHERE partner_id = ?1 AND seq < ?2
           AND (?3 IS NULL OR type = ?3)
           AND (?4 IS NULL
                OR (?4 = 'revoked' AND revoked_at IS NOT NULL)
                OR (?4 = 'expired' AND revoked_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ?5)
                OR (?4 = 'active' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?5)))
         ORDER BY seq DESC LIMIT ?6`,
  // Guarded by `revoked_at IS NULL` so a rotate racing a revoke can never resurrect the key.
  rotate: `UPDATE api_keys SET secret_hash = ?2, hash_version = ?3, last_four = ?4, previous_secret_hash = ?5,
             previous_expires_at = ?6, secret_rotated_at = ?7, updated_at = ?7, version = version + 1
           WHERE id = ?1 AND revoked_at IS NULL`,
  // Usage from a key's guard: deliberately leaves `version` and `updated_at` alone (not an API change).
  flushUsage: `UPDATE api_keys SET last_used_at = ?2, credits_remaining = CASE WHEN ?3 THEN ?4 ELSE credits_remaining END WHERE id = ?1`,
  livePerPartner: `SELECT id, rate_limit_tier, allowed_origins FROM api_keys WHERE partner_id = ?1 AND revoked_at IS NULL`,
  revoke: `UPDATE api_keys SET revoked_at = ?2, revoked_by = ?3, revoked_by_name = ?4, updated_at = ?2, previous_secret_hash = NULL, previous_expires_at = NULL,
             version = version + 1
           WHERE id = ?1 AND revoked_at IS NULL`,
};

export async function getKey(db: D1Database, id: string): Promise<ApiKeyRecord | null> {
  const row = await db.prepare(keySql.byId).bind(id).first();
  return row ? toKey(row) : null;
}

export interface KeyFilter {
  type?: KeyType;
  status?: KeyStatus;
}

export async function listKeys(db: D1Database, partnerId: string, filter: KeyFilter, beforeSeq: number, limit: number) {
  const { results } = await db
    .prepare(keySql.page)
    .bind(partnerId, beforeSeq, filter.type ?? null, filter.status ?? null, new Date().toISOString(), limit + 1)
    .all();
  return results.map(toKey);
}

/** A partner's non-revoked keys, with what a partner change must tell their guards. */
export async function liveKeysOfPartner(db: D1Database, partnerId: string) {
  const { results } = await db
    .prepare(keySql.livePerPartner)
    .bind(partnerId)
    .all<{ id: string; rate_limit_tier: string | null; allowed_origins: string }>();
  return results.map((row) => ({ ...row, allowed_origins: parseList(row.allowed_origins) }));
}

/** Everything authentication needs about a key, in one D1 round trip. */
export interface KeyAuthRecord {
  key: ApiKeyRecord;
  partner: Partner;
  user: User | null;
}

export async function loadKeyAuthRecord(db: D1Database, keyId: string): Promise<KeyAuthRecord | null> {
  const [keys, partners, users] = await db.batch([
    db.prepare(keySql.byId).bind(keyId),
    db.prepare(keySql.partnerOfKey).bind(keyId),
    db.prepare(keySql.userOfKey).bind(keyId),
  ]);
  const keyRow = keys?.results[0] as Record<string, unknown> | undefined;
  const partnerRow = partners?.results[0] as Record<string, unknown> | undefined;
  if (!keyRow || !partnerRow) return null;
  const userRow = users?.results[0] as Record<string, unknown> | undefined;
  return { key: toKey(keyRow), partner: toPartner(partnerRow), user: userRow ? toUser(userRow) : null };
}
