/** Where a caller may put its credential. Header names are case-insensitive by HTTP, so `x-apikey` covers Partoo's `x-APIKey`. */
const KEY_HEADERS = ["x-api-key", "x-apikey"] as const;

/**
 * The credential a request presents, or null. Only headers count: keys never travel in URLs or
 * bodies, where they would end up in logs and browser history.
 */
export function presentedCredential(headers: Headers): string | null {
  const authorization = headers.get("authorization");
  if (authorization !== null) {
    const match = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    return match ? match[1]! : "";
  }
  for (const name of KEY_HEADERS) {
    const value = headers.get(name);
    if (value !== null) return value.trim();
  }
  return null;
}
