import { sign, verify } from "hono/jwt";
import { randomBase62, toHex } from "../lib/encoding";

/** How long an access token from /oauth2/token lives. Short: it is a bearer credential. */
export const ACCESS_TOKEN_TTL_SECONDS = 900;
const ISSUER = "keyward";

export interface AccessTokenClaims {
  iss: string;
  /** The key id the token was issued to. */
  sub: string;
  scope: string;
  iat: number;
  exp: number;
  jti: string;
  /** The secret that minted it, as `secretBinding` of its stored hash: the token lives no longer than that secret. */
  sec: string;
}

/**
 * What binds a token to the secret that minted it (DESIGN §3a): a one-way digest of that secret's
 * stored hash, so the token never carries the hash itself. Rotation, the end of a grace period or
 * revocation retires the hash, and with it every token bound to it, at once — no clock involved.
 */
export async function secretBinding(secretHash: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`keyward-token-binding:v1:${secretHash}`));
  return toHex(digest).slice(0, 32);
}

// Its own secret, derived from the pepper by domain: a token signature never helps forge a key tag.
const signingSecret = (pepper: string) => `keyward-access-token:v1:${pepper}`;

export async function issueAccessToken(
  pepper: string,
  keyId: string,
  secretHash: string,
  scopes: string[],
  now = Date.now(),
  ttl = ACCESS_TOKEN_TTL_SECONDS,
) {
  const iat = Math.floor(now / 1000);
  const sec = await secretBinding(secretHash);
  const claims: AccessTokenClaims = { iss: ISSUER, sub: keyId, scope: scopes.join(" "), iat, exp: iat + ttl, jti: randomBase62(16), sec };
  return { token: await sign({ ...claims }, signingSecret(pepper), "HS256"), claims };
}

export const looksLikeAccessToken = (credential: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(credential);

/** The claims of a token this deployment signed and that has not expired; null otherwise. */
export async function readAccessToken(pepper: string, token: string): Promise<AccessTokenClaims | null> {
  try {
    const claims = (await verify(token, signingSecret(pepper), "HS256")) as unknown as AccessTokenClaims;
    if (claims.iss !== ISSUER || typeof claims.sub !== "string" || typeof claims.scope !== "string") return null;
    if (typeof claims.sec !== "string" || typeof claims.jti !== "string") return null;
    return claims;
  } catch {
    return null;
  }
}
