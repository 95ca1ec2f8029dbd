import { sign, verify } from "hono/jwt";
import { randomBase62 } from "../lib/encoding";

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
}

// Its own secret, derived from the pepper by domain: a token signature never helps forge a key tag.
const signingSecret = (pepper: string) => `keyward-access-token:v1:${pepper}`;

export async function issueAccessToken(pepper: string, keyId: string, scopes: string[], now = Date.now(), ttl = ACCESS_TOKEN_TTL_SECONDS) {
  const iat = Math.floor(now / 1000);
  const claims: AccessTokenClaims = { iss: ISSUER, sub: keyId, scope: scopes.join(" "), iat, exp: iat + ttl, jti: randomBase62(16) };
  return { token: await sign({ ...claims }, signingSecret(pepper), "HS256"), claims };
}

export const looksLikeAccessToken = (credential: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(credential);

/** The claims of a token this deployment signed and that has not expired; null otherwise. */
export async function readAccessToken(pepper: string, token: string): Promise<AccessTokenClaims | null> {
  try {
    const claims = (await verify(token, signingSecret(pepper), "HS256")) as unknown as AccessTokenClaims;
    if (claims.iss !== ISSUER || typeof claims.sub !== "string" || typeof claims.scope !== "string") return null;
    return claims;
  } catch {
    return null;
  }
}
