import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { App } from "../app";
import { requestFacts } from "../auth/authenticate";
import { missingScopes } from "../auth/scopes";
import { failureThrottle } from "../auth/failure-throttle";
import { checkKey, pepperOf } from "../auth/verify-key";
import type { AppEnv } from "../env";
import { isKeyId } from "../keys/format";
import { ACCESS_TOKEN_TTL_SECONDS, issueAccessToken } from "../oauth/access-token";
import { json } from "../schemas/common";

const TokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int(),
    scope: z.string(),
  })
  .openapi("OAuth2Token");

const OAuthError = z
  .object({
    error: z.enum(["invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope", "rate_limited"]),
    error_description: z.string(),
  })
  .openapi("OAuth2Error");

const route = createRoute({
  method: "post",
  path: "/oauth2/token",
  tags: ["OAuth2"],
  summary: "Exchange a key for an access token (OAuth 2.0 client credentials)",
  description:
    "RFC 6749 §4.4. `client_id` is the key id, `client_secret` the full key, sent in the form body or with HTTP Basic (not both). " +
    "The token authenticates every route a key can, for its `scope`, and dies with its key: revocation refuses it on the next request.",
  request: {
    body: {
      required: true,
      content: {
        // Documented, not zod-validated here: RFC 6749 §5.2 dictates the error shape, not problem+json.
        "application/x-www-form-urlencoded": {
          schema: {
            type: "object",
            required: ["grant_type"],
            properties: {
              grant_type: { type: "string", enum: ["client_credentials"] },
              client_id: { type: "string" },
              client_secret: { type: "string" },
              scope: { type: "string", description: "Space-separated subset of the key's scopes; all of them when absent." },
            },
          },
        },
      },
    },
  },
  responses: {
    200: json(TokenResponse, "An access token."),
    400: json(OAuthError, "invalid_request, unsupported_grant_type or invalid_scope."),
    401: json(OAuthError, "invalid_client: unknown, wrong, revoked or expired credentials."),
    429: json(OAuthError, "Too many requests for this key."),
  },
});

type OAuthErrorCode = z.infer<typeof OAuthError>["error"];

function fail(c: Context<AppEnv>, status: 400 | 401 | 429, error: OAuthErrorCode, description: string, basic = false) {
  if (basic && status === 401) c.header("WWW-Authenticate", 'Basic realm="keyward"');
  c.header("Cache-Control", "no-store");
  return c.json({ error, error_description: description }, status);
}

async function readParams(c: Context<AppEnv>): Promise<Record<string, string> | null> {
  const type = c.req.header("content-type") ?? "";
  try {
    if (/^application\/x-www-form-urlencoded/i.test(type)) {
      const form = await c.req.parseBody();
      return Object.fromEntries(Object.entries(form).filter((e): e is [string, string] => typeof e[1] === "string"));
    }
    if (/^application\/json/i.test(type)) {
      const json = await c.req.json();
      if (json === null || typeof json !== "object" || Array.isArray(json)) return null;
      return Object.fromEntries(Object.entries(json).filter((e): e is [string, string] => typeof e[1] === "string"));
    }
  } catch {
    return null;
  }
  return null;
}

/** HTTP Basic client credentials (RFC 6749 §2.3.1: each part form-urlencoded). */
function basicCredentials(header: string | undefined): { id: string; secret: string } | null | undefined {
  if (header === undefined || !/^basic /i.test(header)) return undefined;
  try {
    const decoded = atob(header.slice(6).trim());
    const colon = decoded.indexOf(":");
    if (colon < 0) return null;
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    return null;
  }
}

export const registerOAuth2Token = (app: App) =>
  app.openapi(route, async (c) => {
    const ip = c.req.header("cf-connecting-ip");
    const throttle = failureThrottle(c.env);
    const wait = ip ? throttle.retryAfter(ip) : 0;
    if (wait > 0) {
      c.header("Retry-After", String(wait));
      return fail(c, 429, "rate_limited", "Too many failed authentications from this address.");
    }
    const params = await readParams(c);
    if (!params) return fail(c, 400, "invalid_request", "Send an application/x-www-form-urlencoded body.");
    const basic = basicCredentials(c.req.header("authorization"));
    if (basic === null) return fail(c, 401, "invalid_client", "Malformed HTTP Basic credentials.", true);
    if (basic && (params.client_id !== undefined || params.client_secret !== undefined)) {
      return fail(c, 400, "invalid_request", "Use HTTP Basic or body credentials, not both.");
    }
    if (!params.grant_type) return fail(c, 400, "invalid_request", "grant_type is required.");
    if (params.grant_type !== "client_credentials") {
      return fail(c, 400, "unsupported_grant_type", "Only client_credentials is supported.");
    }
    const clientId = basic?.id ?? params.client_id;
    const secret = basic?.secret ?? params.client_secret;
    if (!clientId || !secret) return fail(c, 401, "invalid_client", "client_id and client_secret are required.", !!basic);

    const result = await checkKey(c.env, secret, { facts: requestFacts(c.req.raw.headers) });
    if (!result.ok && result.reason === "rate_limited") {
      c.header("Retry-After", String(Math.max(1, result.ratelimit?.reset ?? 1)));
      return fail(c, 429, "rate_limited", "This key has used its rate limit for the current window.");
    }
    if (!result.ok || !isKeyId(clientId) || result.auth.key.id !== clientId) {
      if (ip) throttle.recordFailure(ip);
      return fail(c, 401, "invalid_client", "Client authentication failed.", !!basic);
    }

    const requested = params.scope === undefined ? result.scopes : params.scope.split(" ").filter(Boolean);
    if (missingScopes(requested, result.scopes).length > 0) {
      return fail(c, 400, "invalid_scope", "The requested scope exceeds the key's scopes.");
    }
    const { token } = await issueAccessToken(pepperOf(c.env), clientId, [...new Set(requested)]);
    c.header("Cache-Control", "no-store");
    c.header("Pragma", "no-cache");
    return c.json({ access_token: token, token_type: "Bearer" as const, expires_in: ACCESS_TOKEN_TTL_SECONDS, scope: requested.join(" ") }, 200);
  });
