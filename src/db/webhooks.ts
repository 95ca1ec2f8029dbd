import type { AuditContext } from "./audit";
import { changedRow, mutation, rowIfChanged, type Mutation } from "./outbox";
import { insertInto, rowMapper, updateById } from "./statements";
import { webhooks, type RowOf } from "./tables";

export { WEBHOOK_STATUSES, type WebhookStatus } from "./tables";
/** An endpoint row; its secrets are sealed (src/events/webhooks/sealed.ts) and never serialized. */
export type Webhook = RowOf<typeof webhooks>;

export const toWebhook = rowMapper(webhooks);

/**
 * The operator's endpoints have no partner (`partner_id` NULL); their audit and outbox rows need
 * one, so they are filed under this empty id, which no partner has: the global audit log shows them.
 */
export const OPERATOR_PARTNER_ID = "";

/** At most this many endpoints per partner (and for the operator): each event costs a POST per endpoint. */
export const MAX_WEBHOOKS = 20;

export async function getWebhook(db: D1Database, id: string): Promise<Webhook | null> {
  const row = await db.prepare("SELECT * FROM webhooks WHERE id = ?1").bind(id).first();
  return row ? toWebhook(row) : null;
}

/** A partner's endpoints (null: the operator's), newest first. */
export async function listWebhooks(db: D1Database, partnerId: string | null, beforeSeq: number, limit: number): Promise<Webhook[]> {
  const { results } = await db
    .prepare("SELECT * FROM webhooks WHERE partner_id IS ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3")
    .bind(partnerId, beforeSeq, limit + 1)
    .all();
  return results.map(toWebhook);
}

export async function countWebhooks(db: D1Database, partnerId: string | null): Promise<number> {
  const row = await db.prepare("SELECT count(*) AS n FROM webhooks WHERE partner_id IS ?1").bind(partnerId).first<{ n: number }>();
  return row?.n ?? 0;
}

/**
 * The enabled endpoints that hear an event of this partner: its own and the operator's, those
 * that existed when it happened (an endpoint created later does not get the past). The caller
 * filters by subscribed type: `events` is a JSON list.
 */
export async function webhooksHearing(db: D1Database, partnerId: string, occurredAt: string): Promise<Webhook[]> {
  const { results } = await db
    .prepare("SELECT * FROM webhooks WHERE (partner_id = ?1 OR partner_id IS NULL) AND status = 'enabled' AND created_at <= ?2")
    .bind(partnerId, occurredAt)
    .all();
  return results.map(toWebhook);
}

/** A new endpoint as the route decided it; the secret is already sealed. */
export type NewWebhook = Pick<Webhook, "id" | "partner_id" | "url" | "events" | "description" | "secret">;
/** Fields PATCH may set. */
export type WebhookPatch = Partial<Pick<Webhook, "url" | "events" | "description" | "status">>;

const eventOf = (type: "webhook.created" | "webhook.updated" | "webhook.deleted" | "webhook.secret_rotated" | "webhook.disabled", hook: Pick<Webhook, "id" | "partner_id">) => ({
  type,
  partnerId: hook.partner_id ?? OPERATOR_PARTNER_ID,
  subjectId: hook.id,
});

/** Every write to `webhooks`, with its audit and outbox rows (see `Mutation`). */
export const webhookWrites = {
  create(db: D1Database, ctx: AuditContext, hook: NewWebhook): Mutation<Webhook> {
    const row = { ...hook, status: "enabled" as const, created_at: ctx.at, updated_at: ctx.at };
    return mutation(db, ctx, insertInto(db, webhooks, row, { returning: true }), changedRow(toWebhook), eventOf("webhook.created", hook));
  },

  /** Re-enabling clears the failure record, so the endpoint gets its full grace again. */
  update(db: D1Database, ctx: AuditContext, hook: Webhook, patch: WebhookPatch): Mutation<Webhook | null> {
    const reenabled = patch.status === "enabled" && hook.status !== "enabled" ? { failing_since: null, disabled_reason: null } : {};
    const change = updateById(db, webhooks, hook.id, { ...patch, ...reenabled, updated_at: ctx.at }, { returning: true });
    return mutation(db, ctx, change, rowIfChanged(toWebhook), eventOf("webhook.updated", hook));
  },

  /**
   * The new secret signs from now on; the one it replaces signs too until `previousUntil`
   * (receivers roll over). "The one it replaces" is read by the statement itself, so of two
   * rotations at once the first one's secret still signs as the previous for its 24 hours.
   */
  rotateSecret(db: D1Database, ctx: AuditContext, hook: Webhook, sealed: string, previousUntil: string): Mutation<Webhook | null> {
    const change = db
      .prepare(
        `UPDATE webhooks SET previous_secret = secret, secret = ?2, previous_secret_expires_at = ?3, updated_at = ?4
         WHERE id = ?1 RETURNING *`,
      )
      .bind(hook.id, sealed, previousUntil, ctx.at);
    return mutation(db, ctx, change, rowIfChanged(toWebhook), eventOf("webhook.secret_rotated", hook));
  },

  /** Deletes the endpoint and its delivery log; the audit trail keeps the history. */
  remove(db: D1Database, ctx: AuditContext, hook: Webhook): Mutation<Webhook | null> {
    const change = db.prepare("DELETE FROM webhooks WHERE id = ?1 RETURNING *").bind(hook.id);
    const log = db.prepare("DELETE FROM webhook_deliveries WHERE webhook_id = ?1").bind(hook.id);
    return mutation(db, ctx, change, rowIfChanged(toWebhook), eventOf("webhook.deleted", hook), [log]);
  },

  /** Keyward's own change: an endpoint failing for too long stops getting events (and says why). */
  disable(db: D1Database, ctx: AuditContext, hook: Pick<Webhook, "id" | "partner_id">, reason: string): Mutation<Webhook | null> {
    const change = db
      .prepare("UPDATE webhooks SET status = 'disabled', disabled_reason = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'enabled' RETURNING *")
      .bind(hook.id, reason, ctx.at);
    return mutation(db, ctx, change, rowIfChanged(toWebhook), eventOf("webhook.disabled", hook));
  },
};
