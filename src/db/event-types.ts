/**
 * Every event's name. A mutation's event is also its audit row's `action` (one id, two readers);
 * a notice (an expiry reminder, a low balance, a breached limit, a suspension) is an outbox row
 * only: nothing was changed by a caller, so there is nothing to audit.
 */
export const AUDIT_ACTIONS = [
  "partner.created",
  "partner.updated",
  "user.created",
  "user.updated",
  "key.created",
  "key.updated",
  "key.rotated",
  "key.revoked",
  "key.leaked",
  "passkey.registered",
  "passkey.revoked",
  "webhook.created",
  "webhook.updated",
  "webhook.deleted",
  "webhook.secret_rotated",
  "webhook.disabled",
  "webhook.redelivered",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Events with no audit row: written by the cron (expiry), the key's guard (credits, limits) or alongside a partner's suspension. */
export const NOTICE_TYPES = ["key.expiring", "key.expired", "credits.low", "rate_limit.exceeded", "partner.suspended"] as const;
export type NoticeType = (typeof NOTICE_TYPES)[number];

export type EventType = AuditAction | NoticeType;

/** What a webhook endpoint may subscribe to (DESIGN §8, contract); every other event stays internal. */
export const WEBHOOK_EVENT_TYPES = [
  "key.created",
  "key.updated",
  "key.rotated",
  "key.revoked",
  "key.expiring",
  "key.expired",
  "key.leaked",
  "partner.created",
  "partner.updated",
  "partner.suspended",
  "credits.low",
  "rate_limit.exceeded",
] as const satisfies readonly EventType[];
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const isWebhookEventType = (type: string): type is WebhookEventType => (WEBHOOK_EVENT_TYPES as readonly string[]).includes(type);

/** What an outbox row carries for its after-commit reactions (src/events/reactions.ts) and its webhooks. */
export interface EventPayload {
  /** allowed_origins before the change, so the CORS registry re-derives those too. */
  previous_origins?: string[];
  /** The balance the operator set (null = unlimited); absent when the change did not set one. */
  credits?: number | null;
  /** With a refill the operator set: when its schedule starts (the guard takes it once, like `credits`). */
  credits_refilled_at?: string;
  /**
   * Fields a notice adds to its webhook body's `data`, beside the serialized key or partner
   * (e.g. `{days: 7}` for key.expiring, `{limit, window_seconds}` for rate_limit.exceeded).
   */
  data?: Record<string, unknown>;
}
