import { tierNamed } from "../config";
import { keyStatus, type ApiKeyRecord } from "../db/keys";
import type { Partner } from "../db/partners";
import type { User } from "../db/users";
import type { Bindings } from "../env";
import { ApiError } from "../lib/problem";
import type { KeyType } from "../keys/format";
import { looserThan, ownElseInherited, type Authority, type KeyShape } from "./authority";
import type { Principal } from "./principal";
import { dedupe, isManagementScope, missingScopes } from "./scopes";

/** Fields only the operator may set: a partner must not grant itself a better tier or more credits. */
const OPERATOR_ONLY_FIELDS = ["rate_limit_tier", "credits_remaining", "credits_refill"] as const;

export function assertOperatorOnlyFields(principal: Principal, body: Partial<Record<(typeof OPERATOR_ONLY_FIELDS)[number], unknown>>) {
  if (principal.kind === "operator") return;
  const set = OPERATOR_ONLY_FIELDS.filter((f) => body[f] !== undefined);
  if (set.length > 0) {
    throw new ApiError("operator_only_field", `Only the operator may set ${set.join(", ")}.`);
  }
}

/** A key can hand out at most what it holds itself. */
export function assertNoEscalation(principal: Principal, scopes: readonly string[]) {
  if (principal.kind === "operator") return;
  const beyond = missingScopes(scopes, principal.scopes);
  if (beyond.length > 0) {
    throw new ApiError("scope_escalation", `A key cannot grant scopes it does not hold: ${beyond.join(", ")}.`);
  }
}

/** Publishable keys live in browsers, so they may never manage keys, users or audit logs. */
export function assertScopesFitType(type: KeyType, scopes: readonly string[]) {
  if (type !== "publishable") return;
  const management = scopes.filter(isManagementScope);
  if (management.length > 0) {
    throw new ApiError("validation_error", "Publishable keys cannot hold management scopes.", {
      errors: [{ path: "scopes", message: `Not allowed on a publishable key: ${management.join(", ")}` }],
    });
  }
}

/**
 * Scopes for a new key: the requested ones, else the partner's, never more than the creator holds
 * and never management scopes on a publishable key.
 */
export function scopesForNewKey(principal: Principal, type: KeyType, requested: string[] | undefined, partnerScopes: string[]): string[] {
  if (requested !== undefined) {
    const scopes = dedupe(requested);
    assertNoEscalation(principal, scopes);
    assertScopesFitType(type, scopes);
    return scopes;
  }
  let inherited = partnerScopes;
  if (principal.kind === "key") inherited = inherited.filter((s) => principal.scopes.includes(s));
  if (type === "publishable") inherited = inherited.filter((s) => !isManagementScope(s));
  return dedupe(inherited);
}

/** What a key caller holds right now (DESIGN §3a); null for the operator, who is unrestricted. */
export function authorityOf(principal: Principal, env: Pick<Bindings, "RATE_LIMIT_TIERS">): Authority | null {
  if (principal.kind === "operator") return null;
  const { key, partner } = principal.auth;
  return {
    scopes: principal.scopes,
    resources: ownElseInherited(key.resources, partner.resources),
    origins: ownElseInherited(key.allowed_origins, partner.allowed_origins),
    ips: key.allowed_ips,
    agents: key.allowed_agents,
    expiresAt: key.expires_at === null ? null : Date.parse(key.expires_at),
    tier: tierNamed(env, key.rate_limit_tier ?? partner.rate_limit_tier),
    credits: principal.credits,
  };
}

/** A key record as `looserThan` measures it, with its partner's lists and its user's permissions. */
export function shapeOf(
  key: Omit<KeyRow, "rate_limit_tier"> & { rate_limit_tier: string | null },
  user: Pick<User, "permissions"> | null,
  partner: Pick<Partner, "resources" | "allowed_origins" | "rate_limit_tier">,
  env: Pick<Bindings, "RATE_LIMIT_TIERS">,
): KeyShape {
  return {
    scopes: key.scopes,
    userPermissions: user ? user.permissions : null,
    resources: key.resources,
    allowed_origins: key.allowed_origins,
    allowed_ips: key.allowed_ips,
    allowed_agents: key.allowed_agents,
    expires_at: key.expires_at,
    tier: tierNamed(env, key.rate_limit_tier ?? partner.rate_limit_tier),
    credits_remaining: key.credits_remaining,
    partner,
  };
}

type KeyRow = Pick<
  ApiKeyRecord,
  "scopes" | "resources" | "allowed_origins" | "allowed_ips" | "allowed_agents" | "expires_at" | "credits_remaining" | "rate_limit_tier"
>;

/**
 * Refuses (403 `scope_escalation`) a key caller whose result would be looser than itself: the
 * key it creates, the key it edits as it would stand afterwards, or the key whose secret it rotates.
 */
export function assertWithinAuthority(principal: Principal, shape: KeyShape, env: Pick<Bindings, "RATE_LIMIT_TIERS">, self: boolean) {
  const authority = authorityOf(principal, env);
  if (!authority) return;
  const errors = looserThan(shape, authority, { self });
  if (errors.length > 0) {
    throw new ApiError("scope_escalation", "A key cannot hand out, or give itself, more than it holds.", { errors });
  }
}

/**
 * A key-created key's unset fences are its creator's (DESIGN §3a): the same IP and agent lists,
 * resources and origins when the creator has its own, its expiry, its tier, and no credits of
 * its own when the creator has a balance.
 */
export function fencesForKeyCreatedKey<T extends Partial<Record<keyof KeyRow, unknown>>>(principal: Principal, body: T): T {
  if (principal.kind === "operator") return body;
  const { key } = principal.auth;
  return {
    ...body,
    resources: body.resources ?? key.resources,
    allowed_origins: body.allowed_origins ?? key.allowed_origins,
    allowed_ips: body.allowed_ips ?? key.allowed_ips,
    allowed_agents: body.allowed_agents ?? key.allowed_agents,
    expires_at: body.expires_at === undefined ? key.expires_at : body.expires_at,
    rate_limit_tier: key.rate_limit_tier,
    credits_remaining: principal.credits === null ? null : 0,
  };
}

/**
 * Revoked keys are final for everyone; an expired one is final for key callers (only the
 * operator may bring it back), since a new expiry would otherwise revive a key nobody re-issued.
 */
export function assertKeyManageable(principal: Principal, key: Pick<ApiKeyRecord, "revoked_at" | "expires_at">, verb: string) {
  if (key.revoked_at) throw new ApiError("key_revoked", `A revoked key cannot be ${verb}.`);
  if (principal.kind === "key" && keyStatus(key) === "expired") {
    throw new ApiError("key_expired", `An expired key cannot be ${verb} except by the operator.`);
  }
}
