import type { AuditContext } from "./audit";
import { changedRow, mutation, type Mutation } from "./outbox";
import { insertInto, rowMapper, updateById } from "./statements";
import { users, type RowOf } from "./tables";

export { USER_KINDS, USER_STATUSES, type UserStatus } from "./tables";
export type User = RowOf<typeof users>;

/** Maps a `users` row: `permissions` parsed. */
export const toUser = rowMapper(users);

export const userSql = {
  byId: `SELECT * FROM users WHERE id = ?1`,
  byEmail: `SELECT id FROM users WHERE partner_id = ?1 AND email = ?2`,
  page: `SELECT * FROM users WHERE partner_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3`,
  // A user change is a change of each of its live keys: cached key records carry the key's
  // version, so the keys' guards refuse copies older than the change (see userWrites.update).
  bumpKeysOfUser: `UPDATE api_keys SET version = version + 1 WHERE user_id = ?1 AND revoked_at IS NULL`,
};

export async function getUser(db: D1Database, id: string): Promise<User | null> {
  const row = await db.prepare(userSql.byId).bind(id).first();
  return row ? toUser(row) : null;
}

export async function listUsers(db: D1Database, partnerId: string, beforeSeq: number, limit: number): Promise<User[]> {
  const { results } = await db.prepare(userSql.page).bind(partnerId, beforeSeq, limit + 1).all();
  return results.map(toUser);
}

/** What a route decides about a new user; the times come from the audit context. */
export type NewUser = Pick<User, "id" | "partner_id" | "first_name" | "last_name" | "email" | "role" | "kind" | "permissions">;

/** Fields `PATCH /v1/users/{user_id}` may set; absent ones stay as they are. */
export type UserPatch = Partial<Pick<User, "permissions" | "role" | "status">>;

/** Every write to `users`, with its audit and outbox rows (see `Mutation`). */
export const userWrites = {
  create(db: D1Database, ctx: AuditContext, user: NewUser): Mutation<User> {
    const row = { ...user, created_at: ctx.at, updated_at: ctx.at };
    return mutation(db, ctx, insertInto(db, users, row, { returning: true }), changedRow(toUser), {
      type: "user.created",
      partnerId: user.partner_id,
      subjectId: user.id,
    });
  },

  /**
   * Changes a user and, in the same transaction, bumps the version of each of its live keys: a
   * key's effective scopes and usability depend on its user, so every cached copy of those keys'
   * records becomes stale at the commit, and the `user.updated` reactions hand the keys' guards
   * the new policy (src/events/reactions.ts).
   */
  update(db: D1Database, ctx: AuditContext, user: Pick<User, "id" | "partner_id">, patch: UserPatch): Mutation<User> {
    const change = updateById(db, users, user.id, { ...patch, updated_at: ctx.at }, { returning: true });
    // Unguarded: the user was just read and users are never deleted, so the change always changes a row.
    const bump = db.prepare(userSql.bumpKeysOfUser).bind(user.id);
    return mutation(db, ctx, change, changedRow(toUser), { type: "user.updated", partnerId: user.partner_id, subjectId: user.id }, [bump]);
  },
};
