import { z } from "@hono/zod-openapi";
import { authenticatedRoute, type App } from "../hono";
import { classifyCredential } from "../auth/credentials";
import { liveKey } from "../auth/principal";
import { checkCredential } from "../auth/verify-key";
import { ApiKeySchema, serializeKey } from "../schemas/api-key";
import { json, jsonBody, ScopeList, Text } from "../schemas/common";

const VerifyRequest = z
  .strictObject({
    key: Text(2048, { min: 1 }).openapi({ description: "The key (or access token) your backend received." }),
    required_scopes: ScopeList.optional(),
    origin: Text(2048).optional().openapi({ description: "The request's Origin header, exactly as received." }),
    ip: Text(64).optional().openapi({ description: "The client's CF-Connecting-IP." }),
    user_agent: Text(1024).optional().openapi({ description: "The request's User-Agent (or MineSkin-User-Agent), as received." }),
    cost: z.number().int().min(0).max(1_000_000).default(1).openapi({ description: "Rate-limit units and credits to spend." }),
  })
  .openapi("VerifyRequest");

const VERIFY_CODES = [
  "valid", "invalid_api_key", "revoked", "expired", "partner_suspended", "user_deactivated", "insufficient_scope",
  "origin_not_allowed", "ip_not_allowed", "agent_not_allowed", "rate_limited", "credits_exhausted",
] as const;

const VerifyResponse = z
  .object({
    valid: z.boolean(),
    code: z.enum(VERIFY_CODES),
    api_key: ApiKeySchema.optional(),
    ratelimit: z
      .object({ limit: z.number().int(), remaining: z.number().int(), reset: z.number().int() })
      .openapi({ description: "The most restrictive member of `ratelimits`: the fewest remaining, then the longest reset, then the first configured." }),
    ratelimits: z
      .array(
        z.object({
          name: z.string(),
          limit: z.number().int(),
          remaining: z.number().int(),
          reset: z.number().int().openapi({ description: "Seconds until a request fits again; never more than the window." }),
          window_seconds: z.number().int(),
        }),
      )
      .openapi({ description: "Every limit the key is counted under, as the IETF RateLimit fields name them; empty for an unidentified key." }),
    credits_remaining: z.number().int().nullable().openapi({
      description:
        "The balance after this request (null: unlimited). When both the key and its partner hold credits (DESIGN §10), the one that was short, " +
        "else the smaller (the key's on a tie); `credits_source` says whose.",
    }),
    credits_source: z.enum(["key", "partner"]).nullable(),
  })
  .openapi("VerifyResult");

const route = authenticatedRoute({
  method: "post",
  path: "/v1/keys/verify",
  operationId: "verifyKey",
  tags: ["Keys"],
  summary: "Verify a key for your backend",
  description:
    "Answers 200 with a precise `code` whatever the key's state. A verification counts against the key's rate limit and " +
    "credits exactly like a direct call. A partner key with `keys:verify` can verify only its own partner's keys.",
  access: { caller: "operator_or_key", scope: "keys:verify" },
  request: { body: jsonBody(VerifyRequest) },
  responses: { 200: json(VerifyResponse, "The verdict.") },
});

export const registerKeysVerify = (app: App) =>
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const body = c.req.valid("json");
    const result = await checkCredential(c.env, classifyCredential(c.env, body.key), {
      facts: { origin: body.origin ?? null, ip: body.ip ?? null, userAgent: body.user_agent ?? null },
      cost: body.cost,
      requiredScopes: body.required_scopes,
      partnerId: principal.kind === "key" ? principal.auth.partner.id : undefined,
    });
    const live = result.auth ? liveKey(result) : null;
    const credits = live ? live.key.credits_remaining : null;
    // A pooled key's partner may hold credits too: the guard says which balance to report (the one short, else the smaller).
    const reported = live && result.reported ? result.reported : { balance: credits, source: credits === null ? null : ("key" as const) };
    // The limiter already caps each `reset` at its window (SlidingWindow.resetSeconds, knownLimited).
    const { limit, remaining, reset } = result.ratelimit ?? { limit: 0, remaining: 0, reset: 0 };
    return c.json(
      {
        valid: result.ok,
        code: result.ok ? ("valid" as const) : result.reason,
        ...(live ? { api_key: serializeKey(live.key, live) } : {}),
        ratelimit: { limit, remaining, reset },
        ratelimits: result.auth && result.ratelimit ? result.ratelimit.limits.map(({ name, limit, remaining, reset, window_seconds }) => ({ name, limit, remaining, reset, window_seconds })) : [],
        credits_remaining: reported.balance,
        credits_source: reported.source,
      },
      200,
    );
  });
