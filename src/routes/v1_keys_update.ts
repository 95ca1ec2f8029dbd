import { authenticatedRoute, type App } from "../hono";
import { assertKeyManageable, assertNoEscalation, assertOperatorOnlyFields, assertScopesFitType, assertWithinAuthority, shapeOf } from "../auth/key-rules";
import { dedupe } from "../auth/scopes";
import { patchedCredits } from "../db/budgets";
import { keyWrites } from "../db/keys";
import { commitMutation } from "../events/commit";
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
  description: "Changes take effect on the key's next request. `rate_limit_tier`, `credits_remaining` and `credits_refill` are operator-only; " +
    "giving an unlimited key a refill (without a balance) starts its balance at the refill's amount.",
  access: { caller: "operator_or_key", scope: "keys:write" },
  errors: ["operator_only_field", "scope_escalation", "key_revoked", "key_expired", "propagation_pending"],
  request: { params: KeyParams, body: jsonBody(KeyPatchSchema) },
  responses: { 200: json(ApiKeySchema, "The updated key.") },
});

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

    // Every field of the body is a column; absent ones stay as they are.
    if (Object.values(body).every((v) => v === undefined)) return c.json(serializeKey(key, { user }), 200);
    const credits_remaining = patchedCredits(key.credits_remaining, body.credits_remaining, body.credits_refill);
    const patch = { ...body, ...(credits_remaining !== undefined && { credits_remaining }) };
    const updated = await commitMutation(c.env, keyWrites.update(c.env.DB, auditContext(c), key, patch));
    if (!updated) throw new ApiError("key_revoked", "A revoked key cannot be changed.");
    return c.json(serializeKey(updated, { user }), 200);
  });
