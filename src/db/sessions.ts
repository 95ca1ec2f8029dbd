import { insertInto, rowMapper } from "./statements";
import { dashboardSessions, type RowOf } from "./tables";

/**
 * Dashboard sessions (src/dashboard/session.ts). Not API objects: no audit or outbox rows, and
 * nothing here is ever serialized; the cookie's secret never reaches D1, only its SHA-256.
 */
export type DashboardSession = RowOf<typeof dashboardSessions>;
export type NewDashboardSession = Omit<DashboardSession, "seq" | "ended_at">;

const toSession = rowMapper(dashboardSessions);

/** At most this many expired rows go with each sign-in, so the cleanup never grows a sign-in's cost. */
const PURGE_BATCH = 100;

export const sessionSql = {
  byTokenHash: `SELECT * FROM dashboard_sessions WHERE token_hash = ?1`,
  end: `UPDATE dashboard_sessions SET ended_at = ?2 WHERE id = ?1 AND ended_at IS NULL`,
  purgeExpired: `DELETE FROM dashboard_sessions WHERE seq IN
                   (SELECT seq FROM dashboard_sessions WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ${PURGE_BATCH})`,
};

/** Stores a new session, and deletes a batch of expired ones in the same round trip. */
export async function insertSession(db: D1Database, session: NewDashboardSession): Promise<void> {
  await db.batch([insertInto(db, dashboardSessions, session), db.prepare(sessionSql.purgeExpired).bind(session.created_at)]);
}

export async function sessionByTokenHash(db: D1Database, tokenHash: string): Promise<DashboardSession | null> {
  const row = await db.prepare(sessionSql.byTokenHash).bind(tokenHash).first();
  return row ? toSession(row) : null;
}

/** Ends a session (sign-out); a session already ended keeps its first end. */
export async function endSession(db: D1Database, id: string, at: string): Promise<void> {
  await db.prepare(sessionSql.end).bind(id, at).run();
}
