import { now as clockNow } from "../lib/clock";
import type { KeyType } from "../keys/format";
import { isPast, nowIso } from "../lib/time";
import type { AuditContext } from "./audit";
import { parseList } from "./json";
import { changedRow, companionEvent, mutation, rowIfChanged, type Mutation } from "./outbox";
import { toPartner, type Partner } from "./partners";
import { refillStamp } from "./budgets";
import { insertInto, rowMapper, updateById } from "./statements";
import { apiKeys, type EventPayload, type RowOf } from "./tables";
import { toUser, type User } from "./users";

/** A key's status as the API shows it: derived from revoked_at and expires_at, never stored. */
export const KEY_STATUSES = ["active", "revoked", "expired"] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

/** A key row as stored, hashes included: never serialized directly. */
export type ApiKeyRecord = RowOf<typeof apiKeys>;

/** Maps an `api_keys` row: list columns parsed. */
export const toKey = rowMapper(apiKeys);

export function keyStatus(key: Pick<ApiKeyRecord, "revoked_at" | "expires_at">, now = clockNow()): KeyStatus {
  if (key.revoked_at) return "revoked";
  return isPast(key.expires_at, now) ? "expired" : "active";
}

export const keySql = {
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
  livePerPartner: `SELECT id, rate_limit_tier, allowed_origins FROM api_keys WHERE partner_id = ?1 AND revoked_at IS NULL`,
  livePerUser: `SELECT id FROM api_keys WHERE user_id = ?1 AND revoked_at IS NULL`,
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
    .bind(partnerId, beforeSeq, filter.type ?? null, filter.status ?? null, nowIso(), limit + 1)
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

/** Ids of a user's non-revoked keys: what a user change must tell (src/events/reactions.ts). */
export async function liveKeyIdsOfUser(db: D1Database, userId: string): Promise<string[]> {
  const { results } = await db.prepare(keySql.livePerUser).bind(userId).all<{ id: string }>();
  return results.map((row) => row.id);
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

/** What a route decides about a new key; the rest (times, actor, version) comes from the audit context and defaults. */
export type NewKey = Pick<
  ApiKeyRecord,
  | "id" | "partner_id" | "user_id" | "name" | "description" | "type" | "prefix" | "last_four" | "secret_hash" | "hash_version"
  | "scopes" | "resources" | "allowed_origins" | "allowed_ips" | "allowed_agents" | "rate_limit_tier" | "credits_remaining" | "expires_at"
> &
  Partial<Pick<ApiKeyRecord, "credits_refill">>;

/** Fields `PATCH /v1/keys/{key_id}` may set; absent ones stay as they are. */
export type KeyPatch = Partial<
  Pick<
    ApiKeyRecord,
    | "name" | "description" | "scopes" | "resources" | "allowed_origins" | "allowed_ips" | "allowed_agents"
    | "rate_limit_tier" | "expires_at" | "credits_remaining" | "credits_refill"
  >
>;

/** A new secret for a key: its digest, and the replaced one while it is still honoured. */
export type KeySecret = Pick<ApiKeyRecord, "secret_hash" | "hash_version" | "last_four" | "previous_secret_hash" | "previous_expires_at">;

type KeyRef = Pick<ApiKeyRecord, "id" | "partner_id" | "allowed_origins">;

/**
 * Every write to `api_keys`, each with its audit and outbox rows (see `Mutation`). Changes to an
 * existing key are guarded by `revoked_at IS NULL`: a revoked key is final, and a rotate or PATCH
 * racing a revoke can never resurrect it.
 *
 * @example
 * ```ts
 * const key = await commitMutation(env, keyWrites.revoke(env.DB, auditContext(c), key)); // null: lost a race
 * ```
 */
export const keyWrites = {
  create(db: D1Database, ctx: AuditContext, key: NewKey): Mutation<ApiKeyRecord> {
    const row = { ...key, ...refillStamp(key.credits_refill, ctx.at), created_at: ctx.at, created_by: ctx.actor, created_by_name: ctx.actorName, updated_at: ctx.at };
    return mutation(db, ctx, insertInto(db, apiKeys, row, { returning: true }), changedRow(toKey), {
      type: "key.created",
      partnerId: key.partner_id,
      subjectId: key.id,
    });
  },

  update(db: D1Database, ctx: AuditContext, key: KeyRef & Partial<Pick<ApiKeyRecord, "expires_at">>, patch: KeyPatch): Mutation<ApiKeyRecord | null> {
    // A moved expiry is a new one: its reminders are owed again (src/events/expiry.ts).
    const renewed = patch.expires_at !== undefined && patch.expires_at !== key.expires_at;
    const stamp = refillStamp(patch.credits_refill, ctx.at);
    return changeKey(db, ctx, key, { ...patch, ...stamp, ...(renewed && { expiry_notices: 0 }), updated_at: ctx.at }, "key.updated", {
      previous_origins: key.allowed_origins,
      // Only a balance the operator set replaces the guard's live one; a refill set now restarts its schedule there too.
      ...(patch.credits_remaining !== undefined && { credits: patch.credits_remaining }),
      ...(stamp.credits_refilled_at !== undefined && { credits_refilled_at: stamp.credits_refilled_at }),
    });
  },

  rotate(db: D1Database, ctx: AuditContext, key: KeyRef, secret: KeySecret): Mutation<ApiKeyRecord | null> {
    return changeKey(db, ctx, key, { ...secret, secret_rotated_at: ctx.at, updated_at: ctx.at }, "key.rotated", {});
  },

  revoke(db: D1Database, ctx: AuditContext, key: KeyRef): Mutation<ApiKeyRecord | null> {
    const revoked = { revoked_at: ctx.at, revoked_by: ctx.actor, revoked_by_name: ctx.actorName, updated_at: ctx.at };
    // A revoked key honours no secret, the one in a rotation grace period included.
    const change = { ...revoked, previous_secret_hash: null, previous_expires_at: null };
    return changeKey(db, ctx, key, change, "key.revoked", { previous_origins: key.allowed_origins });
  },
};

/** What a leak report found about one key (src/events/leaks/). */
export interface LeakFinding {
  source: string | null;
  url: string | null;
  /** Whether a verified reporter (a correctly signed report) said so; an unsigned report carries no source or url. */
  signed: boolean;
  /** Revoke the key with the flag (a signed report, the partner's `leak_action`, not publishable). */
  revoke: boolean;
}

/**
 * A leak report's write to one key, in one batch: `leaked_at` (kept if set) and a `key.leaked`
 * event carrying `{source, url, revoked}` for the webhook body. Flagging only is guarded by
 * `leaked_at IS NULL` (a repeated report writes nothing); revoking by `revoked_at IS NULL`, and
 * then a `key.revoked` event follows in the same batch, so its subscribers hear it too. Null when
 * the guard found nothing to change (already flagged, or revoked meanwhile).
 */
export function leakWrite(db: D1Database, ctx: AuditContext, key: KeyRef & Pick<ApiKeyRecord, "leaked_at">, finding: LeakFinding): Mutation<ApiKeyRecord | null> {
  const data = { source: finding.source, url: finding.url, signed: finding.signed, revoked: finding.revoke };
  if (!finding.revoke) {
    const change = updateById(db, apiKeys, key.id, { leaked_at: ctx.at, updated_at: ctx.at }, { whileNull: "leaked_at", returning: true });
    return mutation(db, ctx, change, rowIfChanged(toKey), { type: "key.leaked", partnerId: key.partner_id, subjectId: key.id, payload: { data } });
  }
  const revoked = { revoked_at: ctx.at, revoked_by: ctx.actor, revoked_by_name: ctx.actorName, previous_secret_hash: null, previous_expires_at: null };
  const values = { ...revoked, leaked_at: key.leaked_at ?? ctx.at, updated_at: ctx.at };
  const change = updateById(db, apiKeys, key.id, values, { whileNull: "revoked_at", returning: true });
  // key.leaked's reaction (propagateKey) also makes the revocation bite; key.revoked rides along for its subscribers.
  const payload = { previous_origins: key.allowed_origins };
  const companion = companionEvent(db, ctx, { type: "key.revoked", partnerId: key.partner_id, subjectId: key.id, payload });
  const write = mutation(
    db,
    ctx,
    change,
    rowIfChanged(toKey),
    { type: "key.leaked", partnerId: key.partner_id, subjectId: key.id, payload: { ...payload, data } },
    companion.statements,
  );
  return { ...write, notices: [companion.id] };
}

function changeKey(
  db: D1Database,
  ctx: AuditContext,
  key: KeyRef,
  values: Partial<ApiKeyRecord>,
  type: "key.updated" | "key.rotated" | "key.revoked",
  payload: EventPayload,
): Mutation<ApiKeyRecord | null> {
  const change = updateById(db, apiKeys, key.id, values, { whileNull: "revoked_at", returning: true });
  return mutation(db, ctx, change, rowIfChanged(toKey), { type, partnerId: key.partner_id, subjectId: key.id, payload });
}
