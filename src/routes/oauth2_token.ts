import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { App } from "../hono";
import { requestFacts, retryAfterOf } from "../auth/authenticate";
import { missingScopes } from "../auth/scopes";
import { failureThrottle } from "../auth/failure-throttle";
import { classifyCredential } from "../auth/credentials";
import { checkCredential, pepperOf } from "../auth/verify-key";
import type { AppEnv } from "../env";
import { isKeyId } from "../keys/format";
import { ACCESS_TOKEN_TTL_SECONDS, issueAccessToken } from "../oauth/access-token";
import { json, KEY_ID_PATTERN } from "../schemas/common";

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

/** The token request's parameters, for both body encodings. */
const TOKEN_REQUEST = {
  type: "object" as const,
  required: ["grant_type"],
  properties: {
    grant_type: { type: "string" as const, enum: ["client_credentials"] },
    client_id: { type: "string" as const, pattern: KEY_ID_PATTERN, description: "The key id (`key_…`). Omit with HTTP Basic." },
    client_secret: { type: "string" as const, maxLength: 128, description: "The full key. Omit with HTTP Basic." },
    scope: { type: "string" as const, description: "Space-separated subset of the key's scopes; all of them when absent." },
  },
};

const route = createRoute({
  method: "post",
  path: "/oauth2/token",
  operationId: "issueToken",
  tags: ["OAuth2"],
  summary: "Exchange a key for an access token (OAuth 2.0 client credentials)",
  description:
    "RFC 6749 §4.4. `client_id` is the key id, `client_secret` the full key, sent in the body (`client_secret_post`) or with " +
    "HTTP Basic (`client_secret_basic`), not both. The body is a form (RFC 6749) or the same fields as a JSON object. " +
    "Each parameter at most once (a repeated one, in the body or the query, is `invalid_request`). " +
    "The token authenticates every route a key can, for its `scope`, and dies with its key: revocation refuses it on the next request.",
  // No credential (client_secret_post: the secret is in the body) or HTTP Basic client credentials.
  security: [{}, { oauthClientBasic: [] }],
  request: {
    body: {
      required: true,
      content: {
        // Documented, not zod-validated here: RFC 6749 §5.2 dictates the error shape, not problem+json.
        "application/x-www-form-urlencoded": { schema: TOKEN_REQUEST },
        "application/json": { schema: TOKEN_REQUEST },
      },
    },
  },
  responses: {
    200: json(TokenResponse, "An access token (with `Cache-Control: no-store`)."),
    400: json(OAuthError, "invalid_request (also for a repeated parameter), unsupported_grant_type or invalid_scope."),
    401: json(OAuthError, "invalid_client: unknown, wrong, revoked or expired credentials."),
    429: json(OAuthError, "rate_limited: the key is over its rate limit, or this address failed authentication too often. See Retry-After."),
  },
});

type OAuthErrorCode = z.infer<typeof OAuthError>["error"];

function fail(c: Context<AppEnv>, status: 400 | 401 | 429, error: OAuthErrorCode, description: string, basic = false) {
  if (basic && status === 401) c.header("WWW-Authenticate", 'Basic realm="keyward"');
  c.header("Cache-Control", "no-store");
  return c.json({ error, error_description: description }, status);
}

/** Parameters, or null when unreadable; "repeated" when one comes more than once (RFC 6749 §3.1, §3.2: must not). */
async function readParams(c: Context<AppEnv>): Promise<Record<string, string> | "repeated" | null> {
  const type = c.req.header("content-type") ?? "";
  const query = new URL(c.req.url).searchParams;
  const queryNames = [...query.keys()];
  if (new Set(queryNames).size !== queryNames.length) return "repeated";
  try {
    if (/^application\/x-www-form-urlencoded/i.test(type)) {
      const form = new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer()));
      const names = [...form.keys()];
      if (new Set(names).size !== names.length || names.some((name) => query.has(name))) return "repeated";
      return Object.fromEntries(form);
    }
    if (/^application\/json/i.test(type)) {
      const json = await c.req.json();
      if (json === null || typeof json !== "object" || Array.isArray(json)) return null;
      if (Object.keys(json).some((name) => query.has(name))) return "repeated";
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

export const registerOAuth2Token = (app: App) => {
  app.openAPIRegistry.registerComponent("securitySchemes", "oauthClientBasic", {
    type: "http",
    scheme: "basic",
    description: "OAuth 2.0 client_secret_basic: the key id as user name, the full key as password (each form-urlencoded).",
  });
  return app.openapi(route, async (c) => {
    const ip = c.req.header("cf-connecting-ip");
    const throttle = failureThrottle(c.env);
    const wait = ip ? throttle.retryAfter(ip) : 0;
    if (wait > 0) {
      c.header("Retry-After", String(wait));
      return fail(c, 429, "rate_limited", "Too many failed authentications from this address.");
    }
    const params = await readParams(c);
    if (params === "repeated") return fail(c, 400, "invalid_request", "A parameter was sent more than once.");
    if (!params) return fail(c, 400, "invalid_request", "Send an application/x-www-form-urlencoded (or JSON) body.");
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

    // Only a key is exchanged: a token must not mint tokens.
    const result = await checkCredential(c.env, classifyCredential(c.env, secret), { facts: requestFacts(c.req.raw.headers), acceptTokens: false });
    if (!result.ok && result.reason === "rate_limited") {
      c.header("Retry-After", String(retryAfterOf(result.ratelimit)));
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
    const { token } = await issueAccessToken(pepperOf(c.env), clientId, result.secretHash, [...new Set(requested)]);
    c.header("Cache-Control", "no-store");
    c.header("Pragma", "no-cache");
    return c.json({ access_token: token, token_type: "Bearer" as const, expires_in: ACCESS_TOKEN_TTL_SECONDS, scope: requested.join(" ") }, 200);
  });
};
