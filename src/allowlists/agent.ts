/**
 * User-Agent allowlists match on the first product token's name (RFC 9110 §10.1.5):
 * `App` allows `App`, `App/1.2` and `App/1.2 (x)`, but not `AppX` nor `Other App`. Pure.
 */
export const isProductName = (s: string) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(s);

export function productName(userAgent: string): string | null {
  const name = /^[^\s/]+/.exec(userAgent.trim())?.[0] ?? null;
  return name && isProductName(name) ? name : null;
}

export function agentAllowed(userAgent: string | null, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const name = userAgent === null ? null : productName(userAgent);
  return name !== null && allowed.includes(name);
}
