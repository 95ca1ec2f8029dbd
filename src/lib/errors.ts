import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * Every problem `code` Keyward answers with, and its one HTTP status. A code is a promise to
 * clients: add codes, never repurpose one. The README's error table is checked against this list.
 */
export const ERROR_CODES = {
  bad_request: { status: 400, when: "The request could not be read." },
  malformed_request: { status: 400, when: "The body is not valid JSON." },
  validation_error: { status: 400, when: "A field is missing or invalid; `errors` names each one." },
  invalid_cursor: { status: 400, when: "The `cursor` is not one this list issued." },
  conflicting_credentials: { status: 400, when: "Two different credentials in one request." },
  invalid_api_key: { status: 401, when: "The key is missing, malformed, unknown, rotated out, expired or revoked (one body for all)." },
  invalid_signature: { status: 401, when: "A leak report's `Github-Public-Key-*` signature is unknown, malformed or wrong." },
  credits_exhausted: { status: 402, when: "The key has no credits left." },
  insufficient_scope: { status: 403, when: "The key lacks a scope the route needs." },
  operator_only: { status: 403, when: "A valid key called an operator-only route." },
  operator_only_field: { status: 403, when: "A key set `rate_limit_tier`, `credits_remaining` or `credits_refill`." },
  scope_escalation: { status: 403, when: "The change would give a key more than its caller holds; `errors` names each dimension." },
  origin_not_allowed: { status: 403, when: "The browser Origin is not on the key's (or partner's) list." },
  ip_not_allowed: { status: 403, when: "CF-Connecting-IP is outside the key's networks." },
  agent_not_allowed: { status: 403, when: "The User-Agent is not on the key's list." },
  invalid_user_agent: { status: 403, when: "MineSkin routes: no User-Agent naming the application." },
  not_found: { status: 404, when: "No such object, or it belongs to another partner." },
  route_not_found: { status: 404, when: "No such route." },
  method_not_allowed: { status: 405, when: "The route exists for other methods (see `Allow`)." },
  email_taken: { status: 409, when: "The partner already has a user with this email." },
  slug_taken: { status: 409, when: "Another partner has this slug." },
  key_revoked: { status: 409, when: "A revoked key cannot be changed or rotated." },
  key_expired: { status: 409, when: "A key caller cannot change an expired key." },
  partner_revoked: { status: 409, when: "A revoked partner gets no new keys." },
  too_many_webhooks: { status: 409, when: "The partner (or the operator) already has the most webhook endpoints allowed (20)." },
  delivery_pending: { status: 409, when: "A newer attempt of this event to this endpoint is still queued or sending." },
  payload_too_large: { status: 413, when: "The body is over 1 MiB." },
  unsupported_media_type: { status: 415, when: "The body is not `application/json`." },
  rate_limited: { status: 429, when: "The key used its rate limit for the window (see `Retry-After`)." },
  too_many_failed_attempts: { status: 429, when: "Too many failed authentications from this address." },
  too_many_reports: { status: 429, when: "Too many unsigned or badly signed leak reports from this address (see `Retry-After`)." },
  internal_error: { status: 500, when: "A fault on our side; nothing about it is sent." },
  not_configured: { status: 503, when: "ADMIN_TOKEN (≥ 32 characters) or KEY_PEPPER is not set, or LEAK_REPORT_PUBLIC_KEYS is malformed." },
  storage_unavailable: { status: 503, when: "D1, KV or a Durable Object is unreachable; nothing was changed." },
  propagation_pending: { status: 503, when: "The change was saved but is not yet in effect everywhere; repeat the request." },
  temporarily_unavailable: { status: 503, when: "Key state is settling after a change (replica lag)." },
} as const satisfies Record<string, { status: ContentfulStatusCode; when: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const statusOf = (code: ErrorCode): ContentfulStatusCode => ERROR_CODES[code].status;

export const isErrorCode = (value: string): value is ErrorCode => Object.hasOwn(ERROR_CODES, value);
