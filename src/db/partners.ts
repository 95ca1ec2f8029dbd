import type { AuditContext } from "./audit";
import { changedRow, mutation, noticeStatement, type Mutation } from "./outbox";
import { refillStamp } from "./budgets";
import { insertInto, rowMapper, updateById } from "./statements";
import { partners, type RowOf } from "./tables";

export { PARTNER_STATUSES, type PartnerStatus } from "./tables";
export type Partner = RowOf<typeof partners>;

/** Maps a `partners` row: list columns parsed. */
export const toPartner = rowMapper(partners);

export const partnerSql = {
  byId: `SELECT * FROM partners WHERE id = ?1`,
  bySlug: `SELECT id FROM partners WHERE slug = ?1`,
  page: `SELECT * FROM partners WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2`,
  // The shared balance from the partner's object (src/limiter/partner-pool.ts): leaves `version` and
  // `updated_at` alone (not an API change), and writes only under the version the object decided
  // under, so a late flush never overwrites a balance the operator set since (nor re-pools a partner).
  flushCredits: `UPDATE partners SET credits_remaining = ?2, credits_refilled_at = COALESCE(?3, credits_refilled_at)
                 WHERE id = ?1 AND version = ?4 AND credits_remaining IS NOT NULL`,
};

export async function getPartner(db: D1Database, id: string): Promise<Partner | null> {
  const row = await db.prepare(partnerSql.byId).bind(id).first();
  return row ? toPartner(row) : null;
}

export async function listPartners(db: D1Database, beforeSeq: number, limit: number): Promise<Partner[]> {
  const { results } = await db.prepare(partnerSql.page).bind(beforeSeq, limit + 1).all();
  return results.map(toPartner);
}

/** What a route decides about a new partner; status, times and version come from defaults and the audit context. */
export type NewPartner = Pick<Partner, "id" | "slug" | "name" | "contact_email" | "website_url" | "rate_limit_tier" | "scopes" | "resources" | "allowed_origins"> &
  Partial<Pick<Partner, "leak_action" | "rate_limit_scope" | "credits_remaining" | "credits_refill">>;

/** Fields `PATCH /v1/partners/{partner_id}` may set; absent ones stay as they are. */
export type PartnerPatch = Partial<
  Pick<Partner, "name" | "contact_email" | "website_url" | "status" | "rate_limit_tier" | "scopes" | "resources" | "allowed_origins" | "leak_action" | "rate_limit_scope" | "credits_remaining" | "credits_refill">
>;

/** Every write to `partners`, each with its audit and outbox rows (see `Mutation`); both answer from the commit (`RETURNING`). */
export const partnerWrites = {
  create(db: D1Database, ctx: AuditContext, partner: NewPartner): Mutation<Partner> {
    const row = { ...partner, ...refillStamp(partner.credits_refill, ctx.at), status: "active" as const, created_at: ctx.at, updated_at: ctx.at };
    return mutation(db, ctx, insertInto(db, partners, row, { returning: true }), changedRow(toPartner), {
      type: "partner.created",
      partnerId: partner.id,
      subjectId: partner.id,
    });
  },

  /** A change that suspends an active partner also writes the `partner.suspended` notice, in the same transaction. */
  update(db: D1Database, ctx: AuditContext, partner: Pick<Partner, "id" | "allowed_origins" | "status">, patch: PartnerPatch): Mutation<Partner> {
    const stamp = refillStamp(patch.credits_refill, ctx.at);
    const change = updateById(db, partners, partner.id, { ...patch, ...stamp, updated_at: ctx.at }, { returning: true });
    const suspends = patch.status === "suspended" && partner.status !== "suspended";
    const notice = suspends ? noticeStatement(db, { type: "partner.suspended", partnerId: partner.id, subjectId: partner.id, at: ctx.at }, { ifChanged: true }) : null;
    // Unguarded: the partner was just read and partners are never deleted.
    const write = mutation(
      db,
      ctx,
      change,
      changedRow(toPartner),
      {
        type: "partner.updated",
        partnerId: partner.id,
        subjectId: partner.id,
        // As for keys: only a balance the operator set replaces the pool's live one (src/events/reactions.ts).
        payload: {
          previous_origins: partner.allowed_origins,
          ...(patch.credits_remaining !== undefined && { credits: patch.credits_remaining }),
          ...(stamp.credits_refilled_at !== undefined && { credits_refilled_at: stamp.credits_refilled_at }),
        },
      },
      notice ? [notice.statement] : [],
    );
    return notice ? { ...write, notices: [notice.id] } : write;
  },
};
