import { parseList } from "./json";

export interface User {
  seq: number;
  id: string;
  partner_id: string;
  first_name: string;
  last_name: string;
  email: string;
  role: string;
  kind: "user" | "bot";
  permissions: string[];
  created_at: string;
  updated_at: string;
}

export const toUser = (row: Record<string, unknown>): User => ({
  ...(row as unknown as User),
  permissions: parseList(row.permissions),
});

export const userSql = {
  insert: `INSERT INTO users (id, partner_id, first_name, last_name, email, role, kind, permissions, created_at, updated_at)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
           RETURNING *`,
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
