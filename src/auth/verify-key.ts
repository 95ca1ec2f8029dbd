import { keyPrefix } from "../config";
import { keyStatus, loadKeyAuthRecord, type KeyAuthRecord } from "../db/keys";
import type { Bindings } from "../env";
import { constantTimeEqual, hashKey, hasValidTag } from "../keys/crypto";
import { parseKey } from "../keys/format";
import { ApiError } from "../lib/problem";
import { isPast } from "../lib/time";

/** Why a key was refused. Precise for the operator's verify API; collapsed into one 401 everywhere else. */
export type KeyRefusal = "invalid_api_key" | "revoked" | "expired" | "partner_suspended";

export type KeyCheck = { ok: true; auth: KeyAuthRecord } | { ok: false; reason: KeyRefusal };

export function pepperOf(env: Bindings): string {
  if (!env.KEY_PEPPER) throw new ApiError(503, "not_configured", "This Keyward deployment has no KEY_PEPPER secret set.");
  return env.KEY_PEPPER;
}

/**
 * Decides whether a presented key is good right now. Order matters for cost: shape and HMAC tag
 * first (no I/O), then one lookup by key id, then the constant-time digest compare.
 */
export async function checkKey(env: Bindings, presented: string, now = Date.now()): Promise<KeyCheck> {
  const parsed = parseKey(presented, keyPrefix(env));
  const pepper = pepperOf(env);
  if (!parsed || !(await hasValidTag(pepper, parsed))) return { ok: false, reason: "invalid_api_key" };

  const auth = await loadKeyAuthRecord(env.DB, parsed.keyId);
  if (!auth || auth.key.type !== parsed.type) return { ok: false, reason: "invalid_api_key" };

  const digest = await hashKey(pepper, parsed.full);
  const { key } = auth;
  const current = constantTimeEqual(digest, key.secret_hash);
  const previous =
    key.previous_secret_hash !== null &&
    !isPast(key.previous_expires_at, now) &&
    constantTimeEqual(digest, key.previous_secret_hash);
  if (!current && !previous) return { ok: false, reason: "invalid_api_key" };

  const status = keyStatus(key, now);
  if (status !== "active") return { ok: false, reason: status };
  if (auth.partner.status !== "active") return { ok: false, reason: "partner_suspended" };
  return { ok: true, auth };
}
