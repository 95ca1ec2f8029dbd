import { z } from "@hono/zod-openapi";
import { KeyParams } from "../schemas/params";
import { authenticatedRoute, type App } from "../hono";
import { ApiKeySchema, ExpandedKeyFields, ExpandQuery, serializeKey } from "../schemas/api-key";
import { json } from "../schemas/common";
import { visibleKey } from "./access";

const route = authenticatedRoute({
  method: "get",
  path: "/v1/keys/{key_id}",
  operationId: "getKey",
  tags: ["Keys"],
  summary: "Read an API key",
  description:
    "Scopes are shown as the key can use them: filtered by its user's permissions. `all_permissions=true` shows the key's own scopes unfiltered.",
  access: { caller: "operator_or_key", scope: "keys:read" },
  request: {
    params: KeyParams,
    query: z.object({ all_permissions: z.enum(["true", "false"]).default("false"), expand: ExpandQuery }),
  },
  responses: { 200: json(ApiKeySchema.extend(ExpandedKeyFields.shape), "The key (never its secret).") },
});

export const registerKeysGet = (app: App) =>
  app.openapi(route, async (c) => {
    const { key, user } = await visibleKey(c, c.req.valid("param").key_id);
    const { all_permissions, expand } = c.req.valid("query");
    return c.json(serializeKey(key, { user, allPermissions: all_permissions === "true", expand }), 200);
  });
