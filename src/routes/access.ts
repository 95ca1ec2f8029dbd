import type { Context } from "hono";
import { canSeePartner } from "../auth/authenticate";
import { getKey, type ApiKeyRecord, type KeyAuthRecord } from "../db/keys";
import { getPartner, type Partner } from "../db/partners";
import { getUser, type User } from "../db/users";
import type { AppEnv } from "../env";
import { isKeyId } from "../keys/format";
import { invalidApiKey, notFound } from "../lib/problem";
import { nowIso } from "../lib/time";
import type { AuditContext } from "../db/audit";
import type { KeyPrincipal, Principal } from "../auth/principal";
import { fullName } from "../schemas/user";

/** The partner, if it exists and the caller may see it; otherwise 404 (never 403: existence is not leaked). */
export async function visiblePartner(c: Context<AppEnv>, partnerId: string): Promise<Partner> {
  const principal = c.get("principal");
  const partner = canSeePartner(principal, partnerId) ? await getPartner(c.env.DB, partnerId) : null;
  if (!partner) throw notFound("partner");
  return partner;
}

export async function visibleUser(c: Context<AppEnv>, userId: string): Promise<User> {
  const user = await getUser(c.env.DB, userId);
  if (!user || !canSeePartner(c.get("principal"), user.partner_id)) throw notFound("user");
  return user;
}

export async function visibleKey(c: Context<AppEnv>, keyId: string): Promise<{ key: ApiKeyRecord; user: User | null }> {
  const key = isKeyId(keyId) ? await getKey(c.env.DB, keyId) : null;
  if (!key || !canSeePartner(c.get("principal"), key.partner_id)) throw notFound("key");
  return { key, user: key.user_id ? await getUser(c.env.DB, key.user_id) : null };
}

function actorName(principal: Principal): string {
  if (principal.kind === "operator") return "Operator";
  return principal.auth.user ? fullName(principal.auth.user) : principal.auth.key.name;
}

/** Who did it, under which request, when: stamped on every audit event. */
export const auditContext = (c: Context<AppEnv>): AuditContext => ({
  actor: c.get("principal").actor,
  actorName: actorName(c.get("principal")),
  requestId: c.get("requestId"),
  at: nowIso(),
});

/** The authenticated key caller; routes behind `authenticate({ accept: "key" })` always have one. */
export function keyCaller(c: Context<AppEnv>): KeyPrincipal {
  const principal = c.get("principal");
  if (principal.kind !== "key") throw invalidApiKey();
  return principal;
}

/** The authenticated key's record. */
export const callingKey = (c: Context<AppEnv>): KeyAuthRecord => keyCaller(c).auth;
