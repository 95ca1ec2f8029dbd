import { authenticatedRoute, type App } from "../hono";
import { assertOperatorOnlyFields, assertWithinAuthority, fencesForKeyCreatedKey, scopesForNewKey, shapeOf } from "../auth/key-rules";
import { pepperOf } from "../auth/verify-key";
import { keyPrefix } from "../config";
import { keyWrites } from "../db/keys";
import { initialCredits } from "../db/budgets";
import { commitMutation } from "../events/commit";
import { getUser } from "../db/users";
import { HASH_VERSION, mintKey } from "../keys/crypto";
import { displayPrefix } from "../keys/format";
import { ApiError, validationError } from "../lib/problem";
import { KeyCreateSchema, KeyWithSecretSchema, serializeKey } from "../schemas/api-key";
import { NO_STORE, json, jsonBody } from "../schemas/common";
import { auditContext, visiblePartner } from "./access";
import { PartnerParams } from "../schemas/params";
import { assertKnownTier } from "../config";

const route = authenticatedRoute({
  method: "post",
  path: "/v1/partners/{partner_id}/keys",
  operationId: "createKey",
  tags: ["Keys"],
  summary: "Create an API key",
  description: "The response holds the full key. It is shown only here and on rotation; Keyward stores only an HMAC of it.",
  access: { caller: "operator_or_key", scope: "keys:write" },
  errors: ["operator_only_field", "scope_escalation", "partner_revoked", "propagation_pending"],
  request: { params: PartnerParams, body: jsonBody(KeyCreateSchema) },
  responses: { 201: json(KeyWithSecretSchema, "The new key, with its secret.") },
});

export const registerKeysCreate = (app: App) =>
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const partner = await visiblePartner(c, c.req.valid("param").partner_id);
    if (partner.status === "revoked") throw new ApiError("partner_revoked", "This partner is revoked; it cannot get new keys.");
    const requested = c.req.valid("json");
    assertOperatorOnlyFields(principal, requested);
    assertKnownTier(c.env, requested.rate_limit_tier);
    const body = fencesForKeyCreatedKey(principal, requested);
    const scopes = scopesForNewKey(principal, body.type, body.scopes, partner.scopes);

    const db = c.env.DB;
    const user = body.user_id ? await getUser(db, body.user_id) : null;
    if (body.user_id && user?.partner_id !== partner.id) {
      throw validationError([{ path: "user_id", message: "No such user in this partner" }]);
    }
    const fields = {
      scopes,
      resources: body.resources ?? [],
      allowed_origins: body.allowed_origins ?? [],
      allowed_ips: body.allowed_ips ?? [],
      allowed_agents: body.allowed_agents ?? [],
      rate_limit_tier: body.rate_limit_tier ?? null,
      credits_remaining: initialCredits(body.credits_remaining, body.credits_refill),
      credits_refill: body.credits_refill ?? null,
      expires_at: body.expires_at ?? null,
    };
    assertWithinAuthority(principal, shapeOf(fields, user, partner, c.env), c.env, false);

    const prefix = keyPrefix(c.env);
    const minted = await mintKey(pepperOf(c.env), prefix, body.type);
    const created = await commitMutation(
      c.env,
      keyWrites.create(db, auditContext(c), {
        ...fields,
        id: minted.keyId,
        partner_id: partner.id,
        user_id: user?.id ?? null,
        name: body.name,
        description: body.description ?? null,
        type: body.type,
        prefix: displayPrefix(prefix, body.type, minted.keyId),
        last_four: minted.lastFour,
        secret_hash: minted.hash,
        hash_version: HASH_VERSION,
      }),
    );
    // The only answers holding a secret: no cache, shared or private, may keep them.
    return c.json({ key: minted.full, api_key: serializeKey(created, { user }) }, 201, NO_STORE);
  });
