import { authenticatedRoute, type App } from "../hono";
import { authorityOf, shapeOf } from "../auth/key-rules";
import { mayRevoke } from "../auth/authority";
import { ApiError } from "../lib/problem";
import { getKey, keyWrites } from "../db/keys";
import { commitMutation, completePending } from "../events/commit";
import { ApiKeySchema, serializeKey } from "../schemas/api-key";
import { json } from "../schemas/common";
import { auditContext, visibleKey } from "./access";
import { KeyParams } from "../schemas/params";

const route = authenticatedRoute({
  method: "post",
  path: "/v1/keys/{key_id}/revoke",
  operationId: "revokeKey",
  tags: ["Keys"],
  summary: "Revoke an API key",
  description: "The key, and any secret still in a rotation grace period, is refused from the next request on. Idempotent.",
  access: { caller: "operator_or_key", scope: "keys:write" },
  errors: ["scope_escalation", "propagation_pending"],
  request: { params: KeyParams },
  responses: { 200: json(ApiKeySchema, "The revoked key.") },
});

export const registerKeysRevoke = (app: App) =>
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const { key, user } = await visibleKey(c, c.req.valid("param").key_id);
    const authority = authorityOf(principal, c.env);
    if (authority && principal.kind === "key") {
      const self = key.id === principal.auth.key.id;
      if (!mayRevoke(shapeOf(key, user, principal.auth.partner, c.env), authority, { self })) {
        throw new ApiError("scope_escalation", "A key may revoke only keys whose scopes are within its own.");
      }
    }
    const revoked = key.revoked_at ? null : await commitMutation(c.env, keyWrites.revoke(c.env.DB, auditContext(c), key));
    if (revoked) return c.json(serializeKey(revoked, { user }), 200);
    // Already revoked, here or by a racing request (whose batch then wrote the only event): a
    // repeat completes that revocation's propagation if it is still pending.
    await completePending(c.env, key.id);
    const current = key.revoked_at ? key : ((await getKey(c.env.DB, key.id)) ?? key);
    return c.json(serializeKey(current, { user }), 200);
  });
