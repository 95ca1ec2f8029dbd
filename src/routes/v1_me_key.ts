import { liveKey } from "../auth/principal";
import { authenticatedRoute, type App } from "../hono";
import { ApiKeySchema, serializeKey } from "../schemas/api-key";
import { json } from "../schemas/common";
import { keyCaller } from "./access";

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
    const live = liveKey(keyCaller(c));
    return c.json(serializeKey(live.key, live), 200);
  });
