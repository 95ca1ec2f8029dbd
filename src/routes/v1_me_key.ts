import { authenticatedRoute, type App } from "../hono";
import { ApiKeySchema, serializeKey } from "../schemas/api-key";
import { json } from "../schemas/common";
import { callingKey } from "./access";

const route = authenticatedRoute({
  method: "get",
  path: "/v1/me/key",
  operationId: "getMyKey",
  tags: ["Introspection"],
  summary: "The calling API key",
  description: "Any valid key may call this, whatever its scopes. Scopes are those the key can actually use.",
  access: { caller: "key" },
  responses: { 200: json(ApiKeySchema, "The key making this request.") },
});

export const registerMeKey = (app: App) =>
  app.openapi(route, (c) => {
    const { key, user } = callingKey(c);
    const principal = c.get("principal");
    const credits = principal.kind === "key" ? principal.credits : key.credits_remaining;
    return c.json(serializeKey({ ...key, credits_remaining: credits }, { user }), 200);
  });
