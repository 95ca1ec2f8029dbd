import { authenticatedRoute, type App } from "../hono";
import { authorityOf, shapeOf } from "../auth/key-rules";
import { mayRevoke } from "../auth/authority";
import { auditStatement } from "../db/audit";
import { ApiError } from "../lib/problem";
import { keyChanged } from "../cache/propagate";
import { keySql } from "../db/keys";
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
    // Repeating a revoke re-propagates it, which completes one whose propagation failed.
    if (key.revoked_at) return c.json(serializeKey((await keyChanged(c.env, key.id)).key, { user }), 200);
    const audit = auditContext(c);
    const db = c.env.DB;
    // Of two racing revokes, only the one that changed the row records an event.
    await db.batch([
      db.prepare(keySql.revoke).bind(key.id, audit.at, audit.actor, audit.actorName),
      auditStatement(db, audit, key.partner_id, "key.revoked", key.id, { onlyIfChanged: true }),
    ]);
    const record = await keyChanged(c.env, key.id, { previousOrigins: key.allowed_origins });
    return c.json(serializeKey(record.key, { user }), 200);
  });
