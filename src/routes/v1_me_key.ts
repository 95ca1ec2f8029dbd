import { createRoute } from "@hono/zod-openapi";
import type { App } from "../app";
import { authenticate } from "../auth/authenticate";
import { ApiKeySchema, serializeKey } from "../schemas/api-key";
import { errorResponses, json } from "../schemas/common";
import { keyOnly } from "./security";
import { callingKey } from "./v1_me_partner";

const route = createRoute({
  method: "get",
  path: "/v1/me/key",
  operationId: "getMyKey",
  tags: ["Introspection"],
  summary: "The calling API key",
  description: "Any valid key may call this, whatever its scopes. Scopes are those the key can actually use.",
  security: keyOnly,
  middleware: [authenticate({ accept: "key" })] as const,
  responses: { 200: json(ApiKeySchema, "The key making this request."), ...errorResponses },
});

export const registerMeKey = (app: App) =>
  app.openapi(route, (c) => {
    const { key, user } = callingKey(c);
    const principal = c.get("principal");
    const credits = principal.kind === "key" ? principal.credits : key.credits_remaining;
    return c.json(serializeKey({ ...key, credits_remaining: credits }, { user }), 200);
  });
