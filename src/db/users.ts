import type { AuditContext } from "./audit";
import { changedRow, mutation, type Mutation } from "./outbox";
import { insertInto, rowMapper } from "./statements";
import { users, type RowOf } from "./tables";

export { USER_KINDS } from "./tables";
export type User = RowOf<typeof users>;

/** Maps a `users` row: `permissions` parsed. */
export const toUser = rowMapper(users);

export const userSql = {
  byId: `SELECT * FROM users WHERE id = ?1`,
  byEmail: `SELECT id FROM users WHERE partner_id = ?1 AND email = ?2`,
  page: `SELECT * FROM users WHERE partner_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3`,
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
};
