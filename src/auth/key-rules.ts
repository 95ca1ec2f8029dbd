import { ApiError } from "../lib/problem";
import type { KeyType } from "../keys/format";
import type { Principal } from "./principal";
import { dedupe, isManagementScope, missingScopes } from "./scopes";

/** Fields only the operator may set: a partner must not grant itself a better tier or more credits. */
const OPERATOR_ONLY_FIELDS = ["rate_limit_tier", "credits_remaining"] as const;

export function assertOperatorOnlyFields(principal: Principal, body: Partial<Record<(typeof OPERATOR_ONLY_FIELDS)[number], unknown>>) {
  if (principal.kind === "operator") return;
  const set = OPERATOR_ONLY_FIELDS.filter((f) => body[f] !== undefined);
  if (set.length > 0) {
    throw new ApiError(403, "operator_only_field", `Only the operator may set ${set.join(" and ")}.`);
  }
}

/** A key can hand out at most what it holds itself. */
export function assertNoEscalation(principal: Principal, scopes: readonly string[]) {
  if (principal.kind === "operator") return;
  const beyond = missingScopes(scopes, principal.scopes);
  if (beyond.length > 0) {
    throw new ApiError(403, "scope_escalation", `A key cannot grant scopes it does not hold: ${beyond.join(", ")}.`);
  }
}

/** Publishable keys live in browsers, so they may never manage keys, users or audit logs. */
export function assertScopesFitType(type: KeyType, scopes: readonly string[]) {
  if (type !== "publishable") return;
  const management = scopes.filter(isManagementScope);
  if (management.length > 0) {
    throw new ApiError(400, "validation_error", "Publishable keys cannot hold management scopes.", {
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
