import { authenticatedRoute, type App } from "../hono";
import { assertKeyManageable, assertWithinAuthority, shapeOf } from "../auth/key-rules";
import { pepperOf } from "../auth/verify-key";
import { keyPrefix } from "../config";
import { keyWrites } from "../db/keys";
import { commitMutation } from "../events/commit";
import { HASH_VERSION, mintKey } from "../keys/crypto";
import { ApiError } from "../lib/problem";
import { nowIso } from "../lib/time";
import { KeyWithSecretSchema, RotateSchema, serializeKey } from "../schemas/api-key";
import { NO_STORE, json } from "../schemas/common";
import { auditContext, visibleKey } from "./access";
import { KeyParams } from "../schemas/params";

const route = authenticatedRoute({
  method: "post",
  path: "/v1/keys/{key_id}/rotate",
  operationId: "rotateKey",
  tags: ["Keys"],
  summary: "Rotate an API key's secret",
  description:
    "Issues a new secret for the same key id. The old secret keeps working for `grace_period_seconds` (0 = refused at once). " +
    "Rotating again during a grace period retires the older secret immediately.",
  access: { caller: "operator_or_key", scope: "keys:write" },
  errors: ["scope_escalation", "key_revoked", "key_expired", "propagation_pending"],
  request: { params: KeyParams, body: { required: false, content: { "application/json": { schema: RotateSchema } } } },
  responses: { 200: json(KeyWithSecretSchema, "The key with its new secret.") },
});

export const registerKeysRotate = (app: App) =>
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const { key, user } = await visibleKey(c, c.req.valid("param").key_id);
    assertKeyManageable(principal, key, "rotated");
    if (principal.kind === "key") {
      // Rotation hands out the key's full secret: only a key the caller could have created.
      assertWithinAuthority(principal, shapeOf(key, user, principal.auth.partner, c.env), c.env, key.id === principal.auth.key.id);
    }
    // An absent body skips validation, so the schema default does not apply there.
    const grace = c.req.valid("json").grace_period_seconds ?? 0;

    const minted = await mintKey(pepperOf(c.env), keyPrefix(c.env), key.type, key.id.slice(4));
    const audit = auditContext(c);
    const graceEnds = grace > 0 ? nowIso(Date.parse(audit.at) + grace * 1000) : null;
    const secret = {
      secret_hash: minted.hash,
      hash_version: HASH_VERSION,
      last_four: minted.lastFour,
      previous_secret_hash: graceEnds ? key.secret_hash : null,
      previous_expires_at: graceEnds,
    };
    const rotated = await commitMutation(c.env, keyWrites.rotate(c.env.DB, audit, key, secret));
    if (!rotated) throw new ApiError("key_revoked", "A revoked key cannot be rotated.");
    return c.json({ key: minted.full, api_key: serializeKey(rotated, { user }) }, 200, NO_STORE);
  });
