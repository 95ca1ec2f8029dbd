import { noticeStatement } from "./outbox";

/**
 * The expiry notices a key is owed (DESIGN §8), each a bit of `api_keys.expiry_notices`
 * (0009_key_notices.sql). `marks` is what writing the stage's notice sets: a later stage implies
 * the earlier ones, so a key first seen a day before its expiry gets one reminder, not two.
 */
export const EXPIRY_STAGES = {
  week: { bit: 1, marks: 1, days: 7 },
  day: { bit: 2, marks: 3, days: 1 },
  expired: { bit: 4, marks: 7, days: 0 },
} as const;
export type ExpiryStage = keyof typeof EXPIRY_STAGES;

const DAY_MS = 86_400_000;

/** A key owed an expiry notice, and which. */
export interface ExpiryCandidate {
  keyId: string;
  partnerId: string;
  expiresAt: string;
  stage: ExpiryStage;
}

export const expirySql = {
  /**
   * Keys owed the notice of the stage they are in at ?1 (now): expired (expires_at ≤ ?1), within a
   * day (≤ ?2) or within a week (≤ ?3), soonest first. Live keys only: not revoked, and not of a
   * revoked partner (final: nobody left to tell). Suspended partners and deactivated users are
   * temporary, so their keys are still reminded. The WHERE repeats the partial index's
   * (api_keys_expiry_pending), so the scan covers only keys still owed something.
   */
  candidates: `SELECT id, partner_id, expires_at,
      CASE WHEN expires_at <= ?1 THEN 'expired' WHEN expires_at <= ?2 THEN 'day' ELSE 'week' END AS stage
    FROM api_keys
    WHERE revoked_at IS NULL AND expires_at IS NOT NULL AND expiry_notices <> 7 AND expires_at <= ?3
      AND expiry_notices & (CASE WHEN expires_at <= ?1 THEN 4 WHEN expires_at <= ?2 THEN 2 ELSE 1 END) = 0
      AND NOT EXISTS (SELECT 1 FROM partners WHERE partners.id = api_keys.partner_id AND partners.status = 'revoked')
    ORDER BY expires_at LIMIT ?4`,
  /**
   * Marks a stage's notice as written, only if it was not and the key is as it was selected (not
   * revoked, same expiry): the notice after it is chained on `changes()`, so two overlapping runs
   * or a PATCH in between never yield a second or a stale notice. Leaves `version` and
   * `updated_at` alone: not an API change, no cached copy to invalidate.
   */
  mark: `UPDATE api_keys SET expiry_notices = expiry_notices | ?3
    WHERE id = ?1 AND expires_at = ?2 AND revoked_at IS NULL AND expiry_notices & ?4 = 0`,
};

/** Up to `limit` keys owed an expiry notice at `now` (ms). */
export async function expiryCandidates(db: D1Database, now: number, limit: number): Promise<ExpiryCandidate[]> {
  const iso = (ms: number) => new Date(ms).toISOString();
  const { results } = await db
    .prepare(expirySql.candidates)
    .bind(iso(now), iso(now + DAY_MS), iso(now + 7 * DAY_MS), limit)
    .all<{ id: string; partner_id: string; expires_at: string; stage: ExpiryStage }>();
  return results.map((row) => ({ keyId: row.id, partnerId: row.partner_id, expiresAt: row.expires_at, stage: row.stage }));
}

/**
 * The statements that write one key's expiry notice: its guarded mark, then the notice chained
 * to it (`key.expiring` with `{days, expires_at}`, or `key.expired` with `{expires_at}`). Commit
 * them in one batch; the notice's row exists afterwards only if the mark changed the key.
 */
export function expiryNoticeStatements(db: D1Database, candidate: ExpiryCandidate, at: string): { id: string; statements: D1PreparedStatement[] } {
  const stage = EXPIRY_STAGES[candidate.stage];
  const mark = db.prepare(expirySql.mark).bind(candidate.keyId, candidate.expiresAt, stage.marks, stage.bit);
  const data = candidate.stage === "expired" ? { expires_at: candidate.expiresAt } : { days: stage.days, expires_at: candidate.expiresAt };
  const notice = noticeStatement(
    db,
    {
      type: candidate.stage === "expired" ? "key.expired" : "key.expiring",
      partnerId: candidate.partnerId,
      subjectId: candidate.keyId,
      at,
      payload: { data },
    },
    { ifChanged: true },
  );
  return { id: notice.id, statements: [mark, notice.statement] };
}
