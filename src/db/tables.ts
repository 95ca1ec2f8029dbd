import { KEY_TYPES } from "../keys/format";
import { GRANULARITIES } from "../usage/buckets";
import { RATE_LIMIT_SCOPES, type CreditsRefill } from "./budgets";
import { AUDIT_ACTIONS, type EventPayload, type EventType } from "./event-types";

export { AUDIT_ACTIONS, type AuditAction, type EventPayload } from "./event-types";

/**
 * One declaration per D1 table: every column with how it is stored. The row types, the row
 * mappers and the INSERT/UPDATE builders (./statements.ts) are derived from these, so a column is
 * named once here and once in schema.sql (test/db/tables.test.ts holds the two together).
 *
 * Kinds: `text`, `int`, `list` (a JSON array of strings in a TEXT column), `json` (a JSON object in
 * a TEXT column). `values` lists what a CHECK constraint allows.
 */
export type ColumnKind = "text" | "int" | "list" | "json";

export interface Column<T = unknown> {
  readonly kind: ColumnKind;
  readonly nullable: boolean;
  readonly values?: readonly string[];
  /** Type only: what the mapper yields for this column. */
  readonly type?: T;
}

export type Columns = Record<string, Column>;

export interface Table<C extends Columns = Columns> {
  readonly name: string;
  readonly columns: C;
}

/** A row as the mapper returns it. */
export type RowOf<T extends Table> = { -readonly [K in keyof T["columns"]]: T["columns"][K] extends Column<infer V> ? V : never };

const column = <T>(kind: ColumnKind, values?: readonly string[]): Column<T> => ({ kind, nullable: false, ...(values && { values }) });
const text = <T extends string = string>(values?: readonly T[]) => column<T>("text", values);
const int = () => column<number>("int");
const list = () => column<string[]>("list");
const json = <T extends object>() => column<T>("json");
const nullable = <T>(c: Column<T>) => ({ ...c, nullable: true }) as Column<T | null>;
const table = <C extends Columns>(name: string, columns: C): Table<C> => ({ name, columns });

/** A partner's `status` (schema.sql CHECK); the zod enum in src/schemas/partner.ts is built from it. */
export const PARTNER_STATUSES = ["active", "suspended", "revoked"] as const;
export type PartnerStatus = (typeof PARTNER_STATUSES)[number];

/** A user's `kind` (schema.sql CHECK). */
export const USER_KINDS = ["user", "bot"] as const;

/** A user's `status` (schema.sql CHECK); a deactivated user's keys and tokens are refused. */
export const USER_STATUSES = ["active", "deactivated"] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** A partner's `leak_action` (schema.sql CHECK): what a correctly signed leak report does to its keys (DESIGN §9). */
export const LEAK_ACTIONS = ["revoke", "notify"] as const;
export type LeakAction = (typeof LEAK_ACTIONS)[number];

/** `partners`: the operator's partners (schema.sql). */
export const partners = table("partners", {
  seq: int(),
  id: text(),
  slug: text(),
  name: text(),
  contact_email: text(),
  website_url: text(),
  status: text(PARTNER_STATUSES),
  rate_limit_tier: text(),
  scopes: list(),
  resources: list(),
  allowed_origins: list(),
  version: int(),
  created_at: text(),
  updated_at: text(),
  /** What a correctly signed leak report does to this partner's leaked keys (0008_leaks.sql). */
  leak_action: text(LEAK_ACTIONS),
  /** DESIGN §10 (0010_budgets.sql): shared windows, shared credits (null = unlimited) and their refill. */
  rate_limit_scope: text(RATE_LIMIT_SCOPES),
  credits_remaining: nullable(int()),
  credits_refill: nullable(json<CreditsRefill>()),
  credits_refilled_at: nullable(text()),
  /** The last refill record of its shared balance D1 holds (0011_usage_refills.sql). */
  usage_seq: int(),
});

/** `users`: people and bots of a partner. */
export const users = table("users", {
  seq: int(),
  id: text(),
  partner_id: text(),
  first_name: text(),
  last_name: text(),
  email: text(),
  role: text(),
  kind: text(USER_KINDS),
  permissions: list(),
  created_at: text(),
  updated_at: text(),
  status: text(USER_STATUSES),
});

/** Key rows as stored, hashes included: never serialized directly. */
export const apiKeys = table("api_keys", {
  seq: int(),
  id: text(),
  partner_id: text(),
  user_id: nullable(text()),
  name: text(),
  description: nullable(text()),
  type: text(KEY_TYPES),
  prefix: text(),
  last_four: text(),
  secret_hash: text(),
  hash_version: int(),
  previous_secret_hash: nullable(text()),
  previous_expires_at: nullable(text()),
  scopes: list(),
  resources: list(),
  allowed_origins: list(),
  allowed_ips: list(),
  allowed_agents: list(),
  rate_limit_tier: nullable(text()),
  credits_remaining: nullable(int()),
  expires_at: nullable(text()),
  revoked_at: nullable(text()),
  revoked_by: nullable(text()),
  created_at: text(),
  created_by: text(),
  created_by_name: nullable(text()),
  revoked_by_name: nullable(text()),
  last_used_at: nullable(text()),
  secret_rotated_at: nullable(text()),
  version: int(),
  updated_at: text(),
  usage_seq: int(),
  /** When a leak report first named the key (0008_leaks.sql); null while none has. */
  leaked_at: nullable(text()),
  /** Expiry notices written, as bits (0009_key_notices.sql, src/events/expiry.ts); reset when expires_at moves. */
  expiry_notices: int(),
  /** The balance's refill and when it last applied (0010_budgets.sql, src/limiter/refill.ts). */
  credits_refill: nullable(json<CreditsRefill>()),
  credits_refilled_at: nullable(text()),
});

/** `audit_events`: one per mutation, listed by the audit route. */
export const auditEvents = table("audit_events", {
  seq: int(),
  id: text(),
  partner_id: text(),
  actor: text(),
  action: text(AUDIT_ACTIONS),
  target_id: text(),
  at: text(),
  request_id: text(),
});

/** The outbox: see schema.sql and src/events/. */
export const events = table("events", {
  seq: int(),
  id: text(),
  type: text<EventType>(),
  partner_id: text(),
  subject_id: text(),
  occurred_at: text(),
  payload: json<EventPayload>(),
  attempts: int(),
  claimed_until: nullable(text()),
  reacted_at: nullable(text()),
  /** When the event went onto the queue for its webhooks (0007_webhooks.sql); null until then. */
  dispatched_at: nullable(text()),
  /** The webhook body's `data`, frozen by the first dispatch so every endpoint and retry gets the same. */
  body: nullable(json<Record<string, unknown>>()),
});

/** `usage_buckets`: a key's usage counts per bucket (src/usage/, DESIGN §7); keyed by (key_id, granularity, start), no seq. */
export const usageBuckets = table("usage_buckets", {
  key_id: text(),
  partner_id: text(),
  granularity: text(GRANULARITIES),
  start: text(),
  admitted: int(),
  rate_limited: int(),
  credits_exhausted: int(),
  refused: int(),
  /** Credits refills added in the bucket (0011_usage_refills.sql); a partner's shared balance's rows have key_id = the partner's id. */
  credits_refilled: int(),
});

/** A dashboard session's `kind` (schema.sql CHECK): the operator's, or a personal access token's. */
export const SESSION_KINDS = ["operator", "key"] as const;

/** `dashboard_sessions`: dashboard sign-ins (src/dashboard/session.ts); the cookie's secret is stored only as its SHA-256. */
export const dashboardSessions = table("dashboard_sessions", {
  seq: int(),
  id: text(),
  token_hash: text(),
  kind: text(SESSION_KINDS),
  key_id: nullable(text()),
  binding: text(),
  created_at: text(),
  expires_at: text(),
  ended_at: nullable(text()),
  ip: nullable(text()),
  user_agent: nullable(text()),
  /** The passkey the session was opened with (0006_passkeys.sql); null for a token's session. */
  passkey_id: nullable(text()),
});

/** `passkeys`: WebAuthn credentials bound to the personal access token that registered them (src/db/passkeys.ts). */
export const passkeys = table("passkeys", {
  seq: int(),
  id: text(),
  credential_id: text(),
  key_id: text(),
  partner_id: text(),
  user_id: text(),
  binding: text(),
  public_key: text(),
  alg: int(),
  sign_count: int(),
  transports: list(),
  name: text(),
  created_at: text(),
  last_used_at: nullable(text()),
  revoked_at: nullable(text()),
});

/** What a WebAuthn challenge was issued for (schema.sql CHECK). */
export const CHALLENGE_PURPOSES = ["register", "sign_in"] as const;
export type ChallengePurpose = (typeof CHALLENGE_PURPOSES)[number];

/** `webauthn_challenges`: single-use, short-lived challenges of passkey ceremonies. */
export const webauthnChallenges = table("webauthn_challenges", {
  seq: int(),
  id: text(),
  challenge: text(),
  purpose: text(CHALLENGE_PURPOSES),
  session_id: nullable(text()),
  created_at: text(),
  expires_at: text(),
  used_at: nullable(text()),
});

/** A webhook endpoint's `status` (schema.sql CHECK). */
export const WEBHOOK_STATUSES = ["enabled", "disabled"] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

/** `webhooks`: a partner's endpoints, or the operator's (`partner_id` null); secrets sealed (src/events/webhooks/sealed.ts). */
export const webhooks = table("webhooks", {
  seq: int(),
  id: text(),
  partner_id: nullable(text()),
  url: text(),
  events: list(),
  description: nullable(text()),
  status: text(WEBHOOK_STATUSES),
  secret: text(),
  previous_secret: nullable(text()),
  previous_secret_expires_at: nullable(text()),
  failing_since: nullable(text()),
  disabled_reason: nullable(text()),
  created_at: text(),
  updated_at: text(),
});

/** A delivery attempt's `state` (schema.sql CHECK). */
export const DELIVERY_STATES = ["queued", "sending", "delivered", "failed"] as const;

/** `webhook_deliveries`: one row per attempt to deliver an event to an endpoint (src/events/webhooks/). */
export const webhookDeliveries = table("webhook_deliveries", {
  seq: int(),
  id: text(),
  webhook_id: text(),
  event_id: text(),
  type: text(),
  attempt: int(),
  state: text(DELIVERY_STATES),
  scheduled_at: text(),
  claimed_until: nullable(text()),
  at: nullable(text()),
  status_code: nullable(int()),
  ok: int(),
  error: nullable(text()),
  response_excerpt: nullable(text()),
  next_retry_at: nullable(text()),
});

/** Every table, for checks that walk them all (test/db/tables.test.ts). */
export const TABLES = [partners, users, apiKeys, auditEvents, events, usageBuckets, dashboardSessions, passkeys, webauthnChallenges, webhooks, webhookDeliveries] as const;
