import type { AuditContext } from "./audit";
import { changedRow, mutation, rowIfChanged, type Mutation } from "./outbox";
import { insertInto, rowMapper } from "./statements";
import { passkeys, webauthnChallenges, type ChallengePurpose, type RowOf } from "./tables";

/**
 * Passkeys and their WebAuthn challenges (src/dashboard/passkeys.ts). A passkey is written only
 * through `passkeyWrites`, with its audit and outbox rows in the same batch (`mutation()`); a
 * sign-in updates only its counter and last use, like a key's usage, unaudited.
 */
export type Passkey = RowOf<typeof passkeys>;
export type NewPasskey = Omit<Passkey, "seq" | "created_at" | "last_used_at" | "revoked_at">;
export type WebAuthnChallenge = RowOf<typeof webauthnChallenges>;

export const toPasskey = rowMapper(passkeys);
const toChallenge = rowMapper(webauthnChallenges);

/** How long a challenge may be answered: the browser's own prompt times out after 60 s (options.ts TIMEOUT_MS). */
export const CHALLENGE_TTL_MS = 5 * 60_000;

/** At most this many expired challenges go with each new one, so the cleanup never grows a request's cost. */
const PURGE_BATCH = 100;

/** A user's passkeys shown for one token: far more than anyone registers. */
export const PASSKEY_LIST_LIMIT = 100;

export const passkeySql = {
  byId: `SELECT * FROM passkeys WHERE id = ?1`,
  byCredentialId: `SELECT * FROM passkeys WHERE credential_id = ?1`,
  ofKeyAndUser: `SELECT * FROM passkeys WHERE key_id = ?1 AND user_id = ?2 ORDER BY seq DESC LIMIT ${PASSKEY_LIST_LIMIT}`,
  revoke: `UPDATE passkeys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL RETURNING *`,
  /**
   * A sign-in's new counter and time, only while the passkey stands and the counter still grows
   * (or both are 0: an authenticator without a counter): of two sign-ins verified against the
   * same stored counter, the one that lost the race changes nothing, and is refused.
   */
  recordUse: `UPDATE passkeys SET sign_count = ?2, last_used_at = ?3
              WHERE id = ?1 AND revoked_at IS NULL AND (sign_count < ?2 OR (?2 = 0 AND sign_count = 0)) RETURNING *`,
  endSessions: `UPDATE dashboard_sessions SET ended_at = ?2 WHERE passkey_id = ?1 AND ended_at IS NULL`,
  consumeChallenge: `UPDATE webauthn_challenges SET used_at = ?2
                     WHERE id = ?1 AND used_at IS NULL AND expires_at > ?2 AND purpose = ?3 AND session_id IS ?4 RETURNING *`,
  purgeChallenges: `DELETE FROM webauthn_challenges WHERE seq IN
                      (SELECT seq FROM webauthn_challenges WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ${PURGE_BATCH})`,
};

export async function getPasskey(db: D1Database, id: string): Promise<Passkey | null> {
  const row = await db.prepare(passkeySql.byId).bind(id).first();
  return row ? toPasskey(row) : null;
}

export async function passkeyByCredentialId(db: D1Database, credentialId: string): Promise<Passkey | null> {
  const row = await db.prepare(passkeySql.byCredentialId).bind(credentialId).first();
  return row ? toPasskey(row) : null;
}

/** A user's passkeys bound to one token, newest first, revoked ones included. */
export async function passkeysOf(db: D1Database, keyId: string, userId: string): Promise<Passkey[]> {
  const { results } = await db.prepare(passkeySql.ofKeyAndUser).bind(keyId, userId).all();
  return results.map(toPasskey);
}

/** Records a verified sign-in; null when the passkey was revoked meanwhile or its counter did not grow. */
export async function recordPasskeyUse(db: D1Database, id: string, signCount: number, at: string): Promise<Passkey | null> {
  const row = await db.prepare(passkeySql.recordUse).bind(id, signCount, at).first();
  return row ? toPasskey(row) : null;
}

/** Every write to `passkeys`, with its audit and outbox rows (see `Mutation`). */
export const passkeyWrites = {
  register(db: D1Database, ctx: AuditContext, passkey: NewPasskey): Mutation<Passkey> {
    const row = { ...passkey, created_at: ctx.at };
    return mutation(db, ctx, insertInto(db, passkeys, row, { returning: true }), changedRow(toPasskey), {
      type: "passkey.registered",
      partnerId: passkey.partner_id,
      subjectId: passkey.id,
    });
  },

  /**
   * Revokes a passkey and ends the sessions it opened, in one transaction. Guarded: a passkey
   * already revoked changes nothing (null, no audit row). Ending its sessions again is harmless:
   * they are refused anyway while the passkey is revoked.
   */
  revoke(db: D1Database, ctx: AuditContext, passkey: Pick<Passkey, "id" | "partner_id">): Mutation<Passkey | null> {
    const change = db.prepare(passkeySql.revoke).bind(passkey.id, ctx.at);
    const endSessions = db.prepare(passkeySql.endSessions).bind(passkey.id, ctx.at);
    return mutation(db, ctx, change, rowIfChanged(toPasskey), { type: "passkey.revoked", partnerId: passkey.partner_id, subjectId: passkey.id }, [
      endSessions,
    ]);
  },
};

/** Stores a new challenge, and deletes a batch of expired ones in the same round trip. */
export async function insertChallenge(db: D1Database, challenge: Omit<WebAuthnChallenge, "seq" | "used_at">): Promise<void> {
  await db.batch([insertInto(db, webauthnChallenges, challenge), db.prepare(passkeySql.purgeChallenges).bind(challenge.created_at)]);
}

/**
 * Consumes a challenge: once, before it expires, for the purpose and the session it was issued
 * to (null: a sign-in's). Null when it is unknown, used, expired or issued for something else:
 * whichever request gets here first uses it, and it is gone whatever the ceremony's outcome.
 */
export async function consumeChallenge(
  db: D1Database,
  id: string,
  purpose: ChallengePurpose,
  sessionId: string | null,
  at: string,
): Promise<WebAuthnChallenge | null> {
  const row = await db.prepare(passkeySql.consumeChallenge).bind(id, at, purpose, sessionId).first();
  return row ? toChallenge(row) : null;
}
