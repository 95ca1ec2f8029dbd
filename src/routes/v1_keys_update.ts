import { authenticatedRoute, type App } from "../hono";
import { assertKeyManageable, assertNoEscalation, assertOperatorOnlyFields, assertScopesFitType, assertWithinAuthority, shapeOf } from "../auth/key-rules";
import { dedupe } from "../auth/scopes";
import { auditStatement } from "../db/audit";
import { list, setClause } from "../db/json";
import { keyChanged } from "../cache/propagate";
import { ApiError } from "../lib/problem";
import { ApiKeySchema, KeyPatchSchema, serializeKey } from "../schemas/api-key";
import { json, jsonBody } from "../schemas/common";
import { auditContext, visibleKey } from "./access";
import { KeyParams } from "../schemas/params";
import { assertKnownTier } from "../config";

const route = authenticatedRoute({
  method: "patch",
  path: "/v1/keys/{key_id}",
  operationId: "updateKey",
  tags: ["Keys"],
  summary: "Update an API key",
  description: "Changes take effect on the key's next request. `rate_limit_tier` and `credits_remaining` are operator-only.",
  access: { caller: "operator_or_key", scope: "keys:write" },
  errors: ["operator_only_field", "scope_escalation", "key_revoked", "key_expired", "propagation_pending"],
  request: { params: KeyParams, body: jsonBody(KeyPatchSchema) },
  responses: { 200: json(ApiKeySchema, "The updated key.") },
});

const LIST_FIELDS = ["scopes", "resources", "allowed_origins", "allowed_ips", "allowed_agents"] as const;
const SCALAR_FIELDS = ["name", "description", "rate_limit_tier", "expires_at", "credits_remaining"] as const;

export const registerKeysUpdate = (app: App) =>
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const { key, user } = await visibleKey(c, c.req.valid("param").key_id);
    assertKeyManageable(principal, key, "changed");
    const body = c.req.valid("json");
    assertOperatorOnlyFields(principal, body);
    assertKnownTier(c.env, body.rate_limit_tier);
    if (body.scopes) {
      body.scopes = dedupe(body.scopes);
      assertNoEscalation(principal, body.scopes);
      assertScopesFitType(key.type, body.scopes);
    }
    if (principal.kind === "key") {
      // Measured as the key would stand afterwards: a key cannot loosen itself or a sibling.
      const after = { ...key, ...Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) };
      assertWithinAuthority(principal, shapeOf(after, user, principal.auth.partner, c.env), c.env, key.id === principal.auth.key.id);
    }

    const patch: Record<string, string | number | null> = {};
    for (const field of SCALAR_FIELDS) if (body[field] !== undefined) patch[field] = body[field];
    for (const field of LIST_FIELDS) if (body[field] !== undefined) patch[field] = list(body[field]);
    if (Object.keys(patch).length === 0) return c.json(serializeKey(key, { user }), 200);

    const audit = auditContext(c);
    const set = setClause({ ...patch, updated_at: audit.at }, 2);
    const db = c.env.DB;
    const [update] = await db.batch([
      db.prepare(`UPDATE api_keys SET ${set.sql}, version = version + 1 WHERE id = ?1 AND revoked_at IS NULL`).bind(key.id, ...set.binds),
      auditStatement(db, audit, key.partner_id, "key.updated", key.id, { onlyIfChanged: true }),
    ]);
    if (!update?.meta.changes) throw new ApiError("key_revoked", "A revoked key cannot be changed.");
    const record = await keyChanged(c.env, key.id, { credits: body.credits_remaining, previousOrigins: key.allowed_origins });
    return c.json(serializeKey(record.key, { user }), 200);
  });
