/**
 * Browser origins, normalized to `scheme://host[:port]` (lowercase, default port dropped, no
 * path) so that matching is an exact string compare. Pure.
 */
export function normalizeOrigin(input: string): string | null {
  // Scheme, authority, and at most a bare trailing slash: no path, query, fragment or whitespace.
  if (!/^https?:\/\/[^/?#\s\\]+\/?$/i.test(input)) return null;
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return null;
  }
  if (url.username || url.password || url.hostname === "" || url.hostname.includes("*")) return null;
  return url.origin;
}

/**
 * A browser call (one with an `Origin` header) must come from a listed origin; an empty list
 * refuses every browser call. Server calls carry no Origin and are not restricted here.
 */
export function originAllowed(origin: string | null, allowed: readonly string[]): boolean {
  if (origin === null) return true;
  return allowed.includes(origin);
}
