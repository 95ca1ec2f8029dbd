import { keyPrefix } from "../config";
import type { Bindings } from "../env";
import { parseKey, type ParsedKey } from "../keys/format";
import { ApiError } from "../lib/problem";
import { looksLikeAccessToken } from "../oauth/access-token";

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

/**
 * What a presented credential is, decided once per request from its shape alone (no I/O, no
 * crypto): an access token from /oauth2/token, one of our keys (parsed), or neither. Both the
 * check and the request log read it, so nothing parses the credential a second time.
 */
export type Credential = { kind: "token"; token: string } | { kind: "key"; key: ParsedKey } | { kind: "unknown" };

/** Classifies `presented` for `checkCredential`; a key's shape depends on the deployment's KEY_PREFIX. */
export function classifyCredential(env: Pick<Bindings, "KEY_PREFIX">, presented: string): Credential {
  if (looksLikeAccessToken(presented)) return { kind: "token", token: presented };
  const key = parseKey(presented, keyPrefix(env));
  return key ? { kind: "key", key } : { kind: "unknown" };
}
