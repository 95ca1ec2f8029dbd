import { ApiError } from "../lib/problem";

/** Where a caller may put its credential. Header names are case-insensitive by HTTP, so `x-apikey` covers Partoo's `x-APIKey`. */
const KEY_HEADERS = ["x-api-key", "x-apikey"] as const;

/**
 * The credential a request presents, or null. Only headers count: keys never travel in URLs or
 * bodies, where they would end up in logs and browser history. Two different credentials are
 * refused (400 `conflicting_credentials`) rather than one silently chosen: a proxy that adds its
 * own key must not decide whose authority a request runs under.
 */
export function presentedCredential(headers: Headers): string | null {
  const presented: string[] = [];
  const authorization = headers.get("authorization");
  if (authorization !== null) {
    const match = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    presented.push(match ? match[1]! : "");
  }
  for (const name of KEY_HEADERS) {
    const value = headers.get(name);
    if (value !== null) presented.push(value.trim());
  }
  if (new Set(presented).size > 1) {
    throw new ApiError("conflicting_credentials", "The request carries two different credentials; send exactly one.", {
      errors: [{ path: "authorization", message: "Send one credential, in Authorization, X-API-Key or x-APIKey" }],
    });
  }
  return presented[0] ?? null;
}
