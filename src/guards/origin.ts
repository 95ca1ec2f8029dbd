/**
 * Browser origins, normalized to `scheme://host[:port]` (lowercase, default port dropped) so that
 * matching is an exact string compare. Pure.
 */
export function normalizeOrigin(input: string): string | null {
  if (!/^https?:\/\/[^/?#\s]+\/?$/i.test(input)) return null;
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return null;
  }
  if (url.username || url.password || url.hostname === "" || url.hostname.includes("*")) return null;
  return url.origin;
}
