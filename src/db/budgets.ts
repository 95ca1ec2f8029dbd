/** Budgets (DESIGN §10, 0010_budgets.sql): what the partner and key columns hold, and the writes' defaults. */

/** A partner's `rate_limit_scope` (schema.sql CHECK, DESIGN §10): each key its own windows, or all its keys the partner's. */
export const RATE_LIMIT_SCOPES = ["key", "partner"] as const;
export type RateLimitScope = (typeof RATE_LIMIT_SCOPES)[number];

/** A refill's `interval` (DESIGN §10). */
export const REFILL_INTERVALS = ["day", "month"] as const;

/**
 * `credits_refill` of a key or partner (a JSON object, 0010_budgets.sql): the balance is topped up
 * to `amount` at each UTC boundary of `interval` (src/limiter/refill.ts). Read it through
 * `creditsRefillOf`, which takes a damaged value as none.
 */
export interface CreditsRefill {
  /** A positive integer: the balance a refill tops up to. */
  amount: number;
  /** `day`: every UTC midnight; `month`: on `day_of_month` (default 1) at 00:00 UTC. */
  interval: (typeof REFILL_INTERVALS)[number];
  /** 1..31, only with `month`; past a month's end it means that month's last day. */
  day_of_month?: number;
}

/**
 * What a write that sets `credits_refill` adds: setting one starts its schedule now, so its first
 * top-up comes at the next UTC boundary rather than at the next request (a balance the operator
 * just set is not topped up behind its back). Removing one (null) keeps the last time on record.
 */
export const refillStamp = (refill: CreditsRefill | null | undefined, at: string): { credits_refilled_at?: string } =>
  refill ? { credits_refilled_at: at } : {};

/** A new balance: the one asked for, else a refill's amount (a key or partner given a refill starts full), else unlimited. */
export const initialCredits = (credits: number | null | undefined, refill: CreditsRefill | null | undefined): number | null =>
  credits ?? refill?.amount ?? null;

/**
 * A PATCH's balance: one that gives an unlimited balance a refill (and sets none itself) starts it
 * at the refill's amount, as a create does; otherwise what the PATCH says (undefined: unchanged).
 */
export const patchedCredits = (
  current: number | null,
  credits: number | null | undefined,
  refill: CreditsRefill | null | undefined,
): number | null | undefined => (credits === undefined && current === null && refill ? refill.amount : credits);
