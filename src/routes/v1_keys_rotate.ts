import { authenticatedRoute, type App } from "../hono";
import { assertKeyManageable, assertWithinAuthority, shapeOf } from "../auth/key-rules";
import { pepperOf } from "../auth/verify-key";
import { keyPrefix } from "../config";
import { auditStatement } from "../db/audit";
import { keyChanged } from "../cache/propagate";
import { keySql } from "../db/keys";
import { HASH_VERSION, mintKey } from "../keys/crypto";
import { ApiError } from "../lib/problem";
import { nowIso } from "../lib/time";
import { KeyWithSecretSchema, RotateSchema, serializeKey } from "../schemas/api-key";
import { json } from "../schemas/common";
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
    const db = c.env.DB;
    const graceEnds = grace > 0 ? nowIso(Date.parse(audit.at) + grace * 1000) : null;
    const [update] = await db.batch([
      db
        .prepare(keySql.rotate)
        .bind(key.id, minted.hash, HASH_VERSION, minted.lastFour, graceEnds ? key.secret_hash : null, graceEnds, audit.at),
      auditStatement(db, audit, key.partner_id, "key.rotated", key.id, { onlyIfChanged: true }),
    ]);
    if (!update?.meta.changes) throw new ApiError("key_revoked", "A revoked key cannot be rotated.");
    const record = await keyChanged(c.env, key.id);
    return c.json({ key: minted.full, api_key: serializeKey(record.key, { user }) }, 200);
  });
