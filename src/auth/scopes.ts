/**
 * Scope math. Pure: no I/O. Scopes are exact strings; management scopes (`keys:*`, `users:*`,
 * `webhooks:*`, `audit:read`) guard Keyward's own API.
 */

/** Scopes a browser-exposed (publishable) key must never hold. */
export const isManagementScope = (scope: string) => /^(keys|users|webhooks):/.test(scope) || scope === "audit:read";

/** Key scopes as seen through its user's permissions (Partoo): a key never does more than its user may. */
export function effectiveScopes(keyScopes: readonly string[], userPermissions: readonly string[] | null): string[] {
  if (userPermissions === null) return [...keyScopes];
  const allowed = new Set(userPermissions);
  return keyScopes.filter((s) => allowed.has(s));
}

/** Scopes in `wanted` that `held` does not cover. */
export function missingScopes(wanted: readonly string[], held: readonly string[]): string[] {
  const have = new Set(held);
  return [...new Set(wanted)].filter((s) => !have.has(s));
}

export const dedupe = (scopes: readonly string[]) => [...new Set(scopes)];
