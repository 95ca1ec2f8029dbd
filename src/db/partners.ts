import { parseList } from "./json";

export type PartnerStatus = "active" | "suspended" | "revoked";

export interface Partner {
  seq: number;
  id: string;
  slug: string;
  name: string;
  contact_email: string;
  website_url: string;
  status: PartnerStatus;
  rate_limit_tier: string;
  scopes: string[];
  resources: string[];
  allowed_origins: string[];
  version: number;
  created_at: string;
  updated_at: string;
}

export function toPartner(row: Record<string, unknown>): Partner {
  return {
    ...(row as unknown as Partner),
    scopes: parseList(row.scopes),
    resources: parseList(row.resources),
    allowed_origins: parseList(row.allowed_origins),
  };
}

export const partnerSql = {
  insert: `INSERT INTO partners (id, slug, name, contact_email, website_url, status, rate_limit_tier, scopes, resources, allowed_origins, created_at, updated_at)
           VALUES (?1, ?2, ?3, ?4, ?5, 'active', ?6, ?7, ?8, ?9, ?10, ?10)
           RETURNING *`,
  byId: `SELECT * FROM partners WHERE id = ?1`,
  bySlug: `SELECT id FROM partners WHERE slug = ?1`,
  page: `SELECT * FROM partners WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2`,
};

export async function getPartner(db: D1Database, id: string): Promise<Partner | null> {
  const row = await db.prepare(partnerSql.byId).bind(id).first();
  return row ? toPartner(row) : null;
}

export async function listPartners(db: D1Database, beforeSeq: number, limit: number): Promise<Partner[]> {
  const { results } = await db.prepare(partnerSql.page).bind(beforeSeq, limit + 1).all();
  return results.map(toPartner);
}
