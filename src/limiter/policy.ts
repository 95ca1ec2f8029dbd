import type { KeyAuthRecord } from "../db/keys";
import type { UserStatus } from "../db/users";
import { creditsRefillOf, type CreditsRefill } from "./refill";
import type { AllowlistRefusal } from "../allowlists/compile";

/** What a key's Durable Object must know to decide, exactly and at once, whether it may be used. */
export interface GuardPolicy {
  keyId: string;
  /** Absent from policies stored before usage counting; the flush then looks it up. */
  partnerId?: string;
  keyVersion: number;
  partnerVersion: number;
  revoked: boolean;
  expiresAt: number | null;
  partnerStatus: string;
  /**
   * The status of the key's user; null for a key without one. Absent from policies stored before
   * users had a status, and from records cached then: both mean active. A user change bumps the
   * versions of its keys (src/db/users.ts), so `keyVersion` orders this field too.
   */
  userStatus?: UserStatus | null;
  /** The key's tier, else its partner's. */
  tier: string;
  /** The key's credit refill (./refill.ts); absent from policies stored before refills: none. */
  refill?: CreditsRefill | null;
  /**
   * The key's own tier, without its partner's: what caps the key itself in a partner-scoped pool.
   * Absent from policies stored before pools: `tier` then (the key guard never reads it).
   */
  ownTier?: string | null;
  /** Whether the partner's object, not the key's, decides this key (`isPooled`); absent: false. */
  pooled?: boolean;
}

/**
 * Whether a partner's keys are decided by the partner's object (./partner-pool.ts): when they share
 * its windows (`rate_limit_scope: partner`) or its credits. Every key of such a partner meets
 * there, so one call decides the key's and the partner's budgets atomically.
 */
export const isPooled = (partner: Pick<KeyAuthRecord["partner"], "rate_limit_scope" | "credits_remaining">): boolean =>
  partner.rate_limit_scope === "partner" || partner.credits_remaining !== null;

export const policyOf = ({ key, partner, user }: KeyAuthRecord): GuardPolicy => ({
  keyId: key.id,
  partnerId: partner.id,
  keyVersion: key.version,
  partnerVersion: partner.version,
  revoked: key.revoked_at !== null,
  expiresAt: key.expires_at === null ? null : Date.parse(key.expires_at),
  partnerStatus: partner.status,
  userStatus: user ? (user.status ?? "active") : null,
  tier: key.rate_limit_tier ?? partner.rate_limit_tier,
  refill: creditsRefillOf(key.credits_refill),
  ownTier: key.rate_limit_tier,
  pooled: isPooled(partner),
});

/** Whether the key's user is deactivated, from a record or a policy (older copies lack the status: active). */
export const userDeactivated = (record: { user: { status?: UserStatus } | null }) => record.user?.status === "deactivated";

export interface RecordVersion {
  key: number;
  partner: number;
}

export const versionOf = ({ key, partner }: KeyAuthRecord): RecordVersion => ({ key: key.version, partner: partner.version });

/** Something an isolate learned under one version of a key's record, and valid only for it. */
export interface LearnedUnder {
  keyVersion: number;
  partnerVersion: number;
}

export const learnedUnder = (version: RecordVersion): LearnedUnder => ({ keyVersion: version.key, partnerVersion: version.partner });

export const isUnder = (learned: LearnedUnder, version: RecordVersion) =>
  learned.keyVersion === version.key && learned.partnerVersion === version.partner;

/** One limit's state after a decision: a member of the RateLimit fields and of verify's `ratelimits`. */
export interface LimitState {
  name: string;
  limit: number;
  remaining: number;
  /** Seconds until at least one more request fits this limit; never more than its window. */
  reset: number;
  window_seconds: number;
}

/**
 * Every limit of the key's tier after a decision. `limit`, `remaining` and `reset` are those of
 * the most restrictive member (./multi-window.ts, `mostRestrictive`): the legacy RateLimit-*
 * fields and verify's `ratelimit`.
 */
export interface RateLimitState {
  limit: number;
  remaining: number;
  reset: number;
  /** In the tier's order; one member for a single-limit tier, named by the tier. */
  limits: LimitState[];
  /** With a refusal by the rate limit: seconds until every limit admits the request again (Retry-After). */
  retryAfter?: number;
}

/** A refusal the Worker decided from the record (allowlists, scopes); the guard confirms it is current. */
export type CallerRefusal = AllowlistRefusal | "insufficient_scope";

/** What a partner's object must know of the partner (./partner-pool.ts), from its row. */
export interface PartnerInfo {
  partnerId: string;
  version: number;
  status: string;
  tier: string;
  scope: "key" | "partner";
  refill: CreditsRefill | null;
  pooled: boolean;
  /** D1's balance and refill time: taken only when the object has none of its own yet. */
  credits: number | null;
  refilledAt: string | null;
}

export const partnerInfoOf = (partner: KeyAuthRecord["partner"]): PartnerInfo => ({
  partnerId: partner.id,
  version: partner.version,
  status: partner.status,
  tier: partner.rate_limit_tier,
  scope: partner.rate_limit_scope,
  refill: creditsRefillOf(partner.credits_refill),
  pooled: isPooled(partner),
  credits: partner.credits_remaining,
  refilledAt: partner.credits_refilled_at,
});

/** A key's live budget, handed from the object that decided it to the one that decides it next. */
export interface HandedBudget {
  credits: number | null;
  refilledAt: number | null;
  /** The last usage flush sequence D1 holds for the key: the next authority continues after it. */
  usageSeq: number;
  /** ms of the last request admitted under this budget (null: none): the latest copy of a budget is the live one. */
  usedAt: number | null;
}

/** D1's copy of a key's budget (a flush behind the live one at most). */
export const storedBudget = ({ key }: KeyAuthRecord): HandedBudget => ({
  credits: key.credits_remaining,
  refilledAt: key.credits_refilled_at === null ? null : Date.parse(key.credits_refilled_at),
  usageSeq: key.usage_seq,
  usedAt: key.last_used_at === null ? null : Date.parse(key.last_used_at),
});

/** A refusal that stands before any budget is looked at. */
export type PolicyRefusal = "revoked" | "expired" | "partner_suspended" | "user_deactivated" | CallerRefusal;

/**
 * Why the key's own object or its partner's pool refuses a request before looking at any budget,
 * in the order they are reported (a revoked key is reported as revoked, whatever else holds);
 * null when none applies. `partnerStatus`: as the deciding object knows it. A refused request
 * spends nothing.
 */
export function policyRefusal(policy: GuardPolicy, partnerStatus: string, now: number, refusal: CallerRefusal | null): PolicyRefusal | null {
  if (policy.revoked) return "revoked";
  if (policy.expiresAt !== null && now >= policy.expiresAt) return "expired";
  if (partnerStatus !== "active") return "partner_suspended";
  if (policy.userStatus === "deactivated") return "user_deactivated";
  return refusal;
}

/** Whose balance verify reports (DESIGN §3): the key's, its partner's, or none (both unlimited). */
export type CreditsSource = "key" | "partner" | null;

export type AdmissionVerdict =
  /** The caller's copy of the key record is older than the guard's: reload it and ask again. */
  | { outcome: "stale" }
  | { outcome: "unknown" }
  | {
      outcome: "ok" | "rate_limited" | "credits_exhausted" | "revoked" | "expired" | "partner_suspended" | "user_deactivated" | CallerRefusal;
      /** After this request; unchanged by anything but "ok". */
      ratelimit: RateLimitState;
      /** The key's own balance after this request (null = unlimited). */
      credits: number | null;
      /** For a pooled key: the balance verify reports and whose it is (./budget.ts); absent: the key's. */
      reported?: { balance: number | null; source: CreditsSource };
      /** With "ok" when the caller asked for leases: further tokens, already counted, usable until `expiresAt`. */
      lease?: Lease;
      /** With "rate_limited": when (ms) every limit admits this request again (Infinity: its cost exceeds a limit). */
      retryAt?: number;
    };

/** What an isolate asks for: up to `tokens` more (its recent demand), for `ms`. */
export interface LeaseRequest {
  ms: number;
  tokens: number;
}

export interface Lease {
  tokens: number;
  expiresAt: number;
}
