import { z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { authenticatedRoute, type App } from "../../hono";
import type { KeyAuthRecord } from "../../db/keys";
import type { AppEnv } from "../../env";
import { ApiError } from "../../lib/problem";
import { errorEnvelope } from "../../middleware/error-envelope";
import { json } from "../../schemas/common";
import { callingKey } from "../access";

const Message = z.object({ code: z.string(), message: z.string() });

/** MineSkin's error envelope (seed 001). */
export const MineSkinErrorSchema = z
  .object({
    success: z.literal(false),
    errors: z.array(Message),
    warnings: z.array(Message),
    messages: z.array(Message),
    links: z.object({ self: z.string() }),
  })
  .openapi("MineSkinError");

export const MineSkinKeySchema = z
  .object({
    key: z.object({
      id: z.string(),
      name: z.string(),
      user: z.string(),
      createdAt: z.string(),
      allowedOrigins: z.array(z.string()),
      allowedIps: z.array(z.string()),
      allowedAgents: z.array(z.string()),
      useCredits: z.boolean(),
    }),
  })
  .openapi("MineSkinApiKey");

/** `user` is the key's user, or its partner for keys not bound to a user (MineSkin keys always have an owner). */
export function serializeMineSkinKey({ key, partner }: KeyAuthRecord): z.infer<typeof MineSkinKeySchema> {
  return {
    key: {
      id: key.id,
      name: key.name,
      user: key.user_id ?? key.partner_id,
      createdAt: key.created_at,
      allowedOrigins: key.allowed_origins,
      allowedIps: key.allowed_ips,
      allowedAgents: key.allowed_agents,
      // MineSkin's credits belong to the account: a key spends them when it or its partner has a balance (DESIGN §10).
      useCredits: key.credits_remaining !== null || partner.credits_remaining !== null,
    },
  };
}

// MineSkin documents 403 for a bad or missing key, where the canonical API says 401.
function mineSkinError(c: Context<AppEnv>, error: ApiError): Response {
  const status = error.status === 401 ? 403 : error.status;
  const body: z.infer<typeof MineSkinErrorSchema> = {
    success: false,
    errors: [{ code: error.code, message: error.detail }],
    warnings: [],
    messages: [],
    links: { self: c.req.path },
  };
  return c.json(body, status);
}

/** MineSkin requires a User-Agent, or MineSkin-User-Agent where a browser cannot set one. */
const requireUserAgent: MiddlewareHandler<AppEnv> = async function requireUserAgent(c, next) {
  if (!c.req.header("user-agent")?.trim() && !c.req.header("mineskin-user-agent")?.trim()) {
    throw new ApiError("invalid_user_agent", "Send a User-Agent (or MineSkin-User-Agent) header naming your application, e.g. ExampleApp/v1.0.");
  }
  await next();
};

const route = authenticatedRoute({
  method: "get",
  path: "/v2/me/apikey",
  operationId: "getMineSkinApiKey",
  tags: ["MineSkin"],
  summary: "Get the current API key",
  description: "MineSkin's shape. Requires `User-Agent` or `MineSkin-User-Agent`.",
  access: { caller: "key" },
  before: [errorEnvelope(mineSkinError), requireUserAgent],
  ownErrorShapes: true,
  request: {
    headers: z.object({
      "user-agent": z.string().max(1024).optional().openapi({ example: "ExampleApp/v1.0" }),
      "mineskin-user-agent": z.string().max(1024).optional().openapi({ example: "ExampleApp/v1.0" }),
    }),
  },
  responses: {
    200: json(MineSkinKeySchema, "API Key Info"),
    403: json(MineSkinErrorSchema, "Forbidden: missing or bad key, missing User-Agent, or an allowlist refusal."),
    404: json(MineSkinErrorSchema, "Not Found"),
    429: json(MineSkinErrorSchema, "Too many requests."),
  },
});

export const registerMineSkin = (app: App) => app.openapi(route, (c) => c.json(serializeMineSkinKey(callingKey(c)), 200));
