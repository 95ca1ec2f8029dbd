import { describe, expect, it } from "vitest";
import { dropIsolateCache } from "../../src/cache/key-records";
import { LEASE_MIN_DEMAND } from "../../src/limiter/leases";
import { manualClock } from "../clock";
import { callWith } from "../hardening/faulty-env";
import { accessToken, ADMIN, call, createKey, createPartner, createUser, env, guardCalls, me, requestToken, verify } from "../helpers";

const SCOPES = ["keys:read", "keys:write", "users:read", "users:write", "audit:read", "charges:read", "charges:write"];

/** `PATCH /v1/users/{user_id}`, as the operator unless `auth` is given. */
const patchUser = (userId: string, body: unknown, auth: string = ADMIN) => call(`/v1/users/${userId}`, { method: "PATCH", auth, body });

/** A partner with a user holding `permissions` and a key bound to that user. */
async function userWithKey(permissions = ["charges:read", "charges:write"], keyScopes = permissions) {
  const partner = await createPartner({ scopes: SCOPES });
  const user = await createUser(partner.id, { permissions });
  const bound = await createKey(partner.id, { user_id: user.id, scopes: keyScopes });
  return { partner, user, key: bound.key, apiKey: bound.api_key };
}

const userEvents = async (partnerId: string) =>
  ((await call(`/v1/partners/${partnerId}/audit-events?limit=100`)).body.data as Record<string, string>[]).filter((e) => e.action === "user.updated");

/** What a 401 says, without what differs per request. */
const refusalBody = (res: { body: Record<string, unknown> }) => ({ ...res.body, request_id: undefined });

describe("PATCH /v1/users/{user_id}", () => {
  it("changes a user's role, permissions and status, and the user reads back as changed", async () => {
    const partner = await createPartner();
    const user = await createUser(partner.id, { role: "PUBLISHER", permissions: ["charges:read"] });
    expect(user.status).toBe("active");
    const res = await patchUser(user.id, { role: "VIEWER", permissions: ["charges:read", "charges:write"], status: "deactivated" });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({
      ...user,
      role: "VIEWER",
      permissions: ["charges:read", "charges:write"],
      status: "deactivated",
      updated_at: expect.any(String),
    });
    expect(res.body.updated_at >= (user.updated_at as string)).toBe(true);
    expect((await call(`/v1/users/${user.id}`)).body).toEqual(res.body);
    const listed = (await call(`/v1/partners/${partner.id}/users`)).body.data;
    expect(listed).toEqual([res.body]);
  });

  it("changes only the fields sent; an empty body changes nothing and records nothing", async () => {
    const partner = await createPartner();
    const user = await createUser(partner.id, { role: "PUBLISHER", permissions: ["charges:read"] });
    expect((await patchUser(user.id, { role: "EDITOR" })).body).toMatchObject({ role: "EDITOR", permissions: ["charges:read"], status: "active" });
    const unchanged = await patchUser(user.id, {});
    expect(unchanged.status).toBe(200);
    expect(unchanged.body).toMatchObject({ role: "EDITOR", permissions: ["charges:read"], status: "active" });
    expect(await userEvents(partner.id)).toHaveLength(1);
  });

  it("refuses unknown, server-owned and create-only fields and invalid values with validation_error naming each, and changes nothing", async () => {
    const partner = await createPartner();
    const user = await createUser(partner.id, { role: "PUBLISHER", permissions: ["charges:read"] });
    const unknown = await patchUser(user.id, { id: "usr_mine", partner_id: partner.id, email: "other@example.com", status: "deactivated" });
    expect([unknown.status, unknown.body.code]).toEqual([400, "validation_error"]);
    // Unknown keys have no path of their own: one error on the body that names each of them.
    expect(unknown.body.errors).toHaveLength(1);
    expect(unknown.body.errors[0].path).toBe("json");
    for (const field of ["id", "partner_id", "email"]) expect(unknown.body.errors[0].message).toContain(`"${field}"`);
    const cases: [Record<string, unknown>, string][] = [
      [{ status: "suspended" }, "status"],
      [{ status: null }, "status"],
      [{ role: "1ADMIN" }, "role"],
      [{ permissions: ["charges:read", "not ok"] }, "permissions.1"],
      [{ permissions: "charges:read" }, "permissions"],
    ];
    for (const [body, path] of cases) {
      const res = await patchUser(user.id, body);
      expect([res.status, res.body.code], JSON.stringify(body)).toEqual([400, "validation_error"]);
      expect(res.body.errors.map((e: { path: string }) => e.path), JSON.stringify(body)).toEqual([path]);
    }
    expect((await call(`/v1/users/${user.id}`)).body).toEqual(user);
    expect(await userEvents(partner.id)).toEqual([]);
  });

  it("is 404 for a user that does not exist", async () => {
    const res = await patchUser("usr_00000000000000000000000000", { status: "deactivated" });
    expect([res.status, res.body.code]).toEqual([404, "not_found"]);
  });

  it("records user.updated with the actor and the request: the operator, or the acting key", async () => {
    const { partner, user } = await userWithKey(["charges:read"]);
    const byOperator = await patchUser(user.id, { role: "VIEWER" });
    const manager = await createKey(partner.id, { scopes: ["users:write", "charges:read"] });
    const byKey = await patchUser(user.id, { status: "deactivated" }, manager.key);
    expect(byKey.status, byKey.text).toBe(200);
    const events = await userEvents(partner.id);
    expect(events).toEqual([
      expect.objectContaining({ actor: manager.api_key.id, target_id: user.id, partner_id: partner.id, request_id: byKey.headers.get("x-request-id") }),
      expect.objectContaining({ actor: "operator", target_id: user.id, partner_id: partner.id, request_id: byOperator.headers.get("x-request-id") }),
    ]);
  });

  it("lets a key change only its own partner's users: another partner's is 404 and stays as it was", async () => {
    const mine = await createPartner({ scopes: SCOPES });
    const manager = await createKey(mine.id, { scopes: ["users:write", "users:read"] });
    const theirs = await userWithKey([]);
    const res = await patchUser(theirs.user.id, { status: "deactivated" }, manager.key);
    expect([res.status, res.body.code]).toEqual([404, "not_found"]);
    expect((await call(`/v1/users/${theirs.user.id}`)).body.status).toBe("active");
    expect((await me(theirs.key)).status).toBe(200);
    const own = await createUser(mine.id);
    expect((await patchUser(own.id, { role: "VIEWER" }, manager.key)).body.role).toBe("VIEWER");
  });

  it("refuses a key granting a permission beyond its scopes (403 scope_escalation on permissions) and writes nothing; within them it may", async () => {
    const partner = await createPartner({ scopes: SCOPES });
    const manager = await createKey(partner.id, { scopes: ["users:write", "charges:read"] });
    const user = await createUser(partner.id, { permissions: [] });
    const refused = await patchUser(user.id, { permissions: ["charges:read", "charges:write"] }, manager.key);
    expect([refused.status, refused.body.code]).toEqual([403, "scope_escalation"]);
    expect(refused.body.errors).toEqual([{ path: "permissions", message: expect.stringContaining("charges:write") }]);
    expect((await call(`/v1/users/${user.id}`)).body.permissions).toEqual([]);
    expect(await userEvents(partner.id)).toEqual([]);
    const allowed = await patchUser(user.id, { permissions: ["charges:read"] }, manager.key);
    expect([allowed.status, allowed.body.permissions]).toEqual([200, ["charges:read"]]);
  });

  it("refuses a key deactivating, reactivating or editing a user who holds permissions it lacks; that user's keys keep working", async () => {
    const { partner, user, key } = await userWithKey(["charges:read", "charges:write"]);
    const manager = await createKey(partner.id, { scopes: ["users:write", "charges:read"] });
    for (const body of [{ status: "deactivated" }, { role: "VIEWER" }, { permissions: ["charges:read"] }]) {
      const res = await patchUser(user.id, body, manager.key);
      expect([res.status, res.body.code], JSON.stringify(body)).toEqual([403, "scope_escalation"]);
      expect(res.body.errors).toEqual([{ path: "permissions", message: expect.stringContaining("charges:write") }]);
    }
    expect((await me(key)).status).toBe(200);
    // Nor may it bring back a deactivated one: reactivation would hand back what it does not hold.
    await patchUser(user.id, { status: "deactivated" });
    const revive = await patchUser(user.id, { status: "active" }, manager.key);
    expect([revive.status, revive.body.code]).toEqual([403, "scope_escalation"]);
    expect((await me(key)).status).toBe(401);
  });

  it("refuses a key without users:write before looking at the body", async () => {
    const { partner, user } = await userWithKey([]);
    const reader = await createKey(partner.id, { scopes: ["users:read"] });
    const res = await patchUser(user.id, { status: "nonsense" }, reader.key);
    expect([res.status, res.body.code]).toEqual([403, "insufficient_scope"]);
  });
});

describe("a deactivated user's keys and tokens", () => {
  it("are refused on the very next request with the revoked-key 401, and work again once the user is reactivated", async () => {
    const { partner, user, key, apiKey } = await userWithKey();
    const second = await createKey(partner.id, { user_id: user.id, scopes: ["charges:read"] });
    const unbound = await createKey(partner.id, { scopes: ["charges:read"] });
    const token = await accessToken(apiKey.id, key);
    for (const credential of [key, second.key, token]) expect((await me(credential)).status).toBe(200);

    expect((await patchUser(user.id, { status: "deactivated" })).body.status).toBe("deactivated");
    const revoked = await createKey(partner.id);
    await call(`/v1/keys/${revoked.api_key.id}/revoke`, { method: "POST" });
    const revokedReply = await me(revoked.key);
    for (const credential of [key, second.key, token]) {
      const res = await me(credential);
      expect([res.status, res.body.code]).toEqual([401, "invalid_api_key"]);
      // Nothing tells a deactivated user's key from a revoked one.
      expect(refusalBody(res)).toEqual(refusalBody(revokedReply));
      expect(res.headers.get("ratelimit-limit")).toBeNull();
    }
    // The partner's other keys are untouched, and the key itself is not revoked.
    expect((await me(unbound.key)).status).toBe(200);
    expect((await call(`/v1/keys/${apiKey.id}`)).body.status).toBe("active");
    // No new token either.
    const minted = await requestToken(apiKey.id, key);
    expect([minted.status, minted.body.error]).toEqual([401, "invalid_client"]);

    expect((await patchUser(user.id, { status: "active" })).body.status).toBe("active");
    for (const credential of [key, second.key, token]) expect((await me(credential)).status).toBe(200);
  });

  it("are refused even where a cache still holds the record from before the deactivation", async () => {
    const { user, key, apiKey } = await userWithKey();
    expect((await me(key)).status).toBe(200);
    // What another isolate, or a lagging KV location, still holds: the user active.
    const stale = (await env.KEY_CACHE.get(`key:${apiKey.id}`))!;
    expect(JSON.parse(stale).user.status).toBe("active");
    await patchUser(user.id, { status: "deactivated" });
    await env.KEY_CACHE.put(`key:${apiKey.id}`, stale);
    dropIsolateCache();
    expect((await me(key)).status).toBe(401);
    // Reactivated: the same stale copy no longer refuses the key either.
    await patchUser(user.id, { status: "active" });
    await env.KEY_CACHE.put(`key:${apiKey.id}`, stale);
    dropIsolateCache();
    expect((await me(key)).status).toBe(200);
  });

  it("are reported by verify as user_deactivated, with the key, and spend nothing", async () => {
    const { user, key, apiKey } = await userWithKey();
    const before = (await verify({ key })).body.ratelimit.remaining;
    await patchUser(user.id, { status: "deactivated" });
    const res = await verify({ key });
    expect(res.body).toMatchObject({ valid: false, code: "user_deactivated", api_key: { id: apiKey.id, status: "active" } });
    expect(res.body.ratelimit.remaining).toBe(before);
    await patchUser(user.id, { status: "active" });
    expect((await verify({ key })).body).toMatchObject({ valid: true, code: "valid", ratelimit: { remaining: before - 1 } });
  });

  it("get no leased token after the deactivation answers (GUARD_LEASE_MS)", async () => {
    manualClock();
    const LEASES = { GUARD_LEASE_MS: "1000" };
    const leased = (key: string) => callWith({}, "/v1/me/key", { auth: key, vars: LEASES });
    const { user, key, apiKey } = await userWithKey();
    for (let i = 0; i < LEASE_MIN_DEMAND; i++) expect((await leased(key)).status).toBe(200);
    // This isolate now holds a lease: the next request is answered without the guard.
    expect(guardCalls(await leased(key))).toBe(0);
    const stale = (await env.KEY_CACHE.get(`key:${apiKey.id}`))!;
    const res = await callWith({}, `/v1/users/${user.id}`, { method: "PATCH", auth: ADMIN, body: { status: "deactivated" }, vars: LEASES });
    expect(res.status).toBe(200);
    await env.KEY_CACHE.put(`key:${apiKey.id}`, stale);
    dropIsolateCache();
    expect((await leased(key)).status).toBe(401);
  });

  it("are refused on the next request even when their guards could not be told: the PATCH says it was saved (503 propagation_pending)", async () => {
    const { user, key } = await userWithKey();
    expect((await me(key)).status).toBe(200);
    const res = await callWith({ do: "down", queue: "down" }, `/v1/users/${user.id}`, {
      method: "PATCH",
      auth: ADMIN,
      body: { status: "deactivated" },
    });
    expect([res.status, res.body.code], res.text).toEqual([503, "propagation_pending"]);
    expect((await call(`/v1/users/${user.id}`)).body.status).toBe("deactivated");
    // The commit made the key's record newer than its guard's copy: the guard reloads it from D1.
    expect((await me(key)).status).toBe(401);
  });

  it("a key may deactivate its own user when its scopes cover the user's permissions, and is refused from then on", async () => {
    const permissions = ["users:write", "charges:read"];
    const { user, key } = await userWithKey(permissions);
    const res = await patchUser(user.id, { status: "deactivated" }, key);
    expect([res.status, res.body.status]).toEqual([200, "deactivated"]);
    expect((await me(key)).status).toBe(401);
    expect((await patchUser(user.id, { status: "active" }, key)).status).toBe(401);
  });
});

describe("a user's permissions shape its keys", () => {
  it("narrowing them shrinks the effective scopes of its keys on the next request, widening restores them", async () => {
    const { user, key, apiKey } = await userWithKey(["charges:read", "charges:write"]);
    const token = await accessToken(apiKey.id, key);
    expect((await me(key)).body.scopes).toEqual(["charges:read", "charges:write"]);
    const stale = (await env.KEY_CACHE.get(`key:${apiKey.id}`))!;

    await patchUser(user.id, { permissions: ["charges:read"] });
    expect((await me(key)).body.scopes).toEqual(["charges:read"]);
    // Even from a copy cached before the change.
    await env.KEY_CACHE.put(`key:${apiKey.id}`, stale);
    dropIsolateCache();
    expect((await me(key)).body.scopes).toEqual(["charges:read"]);
    expect((await verify({ key, required_scopes: ["charges:write"] })).body.code).toBe("insufficient_scope");
    expect((await verify({ key: token, required_scopes: ["charges:write"] })).body.code).toBe("insufficient_scope");
    // The key's own scopes are unchanged: all_permissions shows them unfiltered.
    expect((await call(`/v1/keys/${apiKey.id}?all_permissions=true`)).body.scopes).toEqual(["charges:read", "charges:write"]);

    await patchUser(user.id, { permissions: ["charges:read", "charges:write", "other"] });
    expect((await me(key)).body.scopes).toEqual(["charges:read", "charges:write"]);
    expect((await verify({ key: token, required_scopes: ["charges:write"] })).body.code).toBe("valid");
  });

  it("a key with users:write cannot widen its own user beyond its own scopes", async () => {
    const { user, key } = await userWithKey(["users:write", "charges:read"], ["users:write", "charges:read", "charges:write"]);
    expect((await me(key)).body.scopes).toEqual(["users:write", "charges:read"]);
    const res = await patchUser(user.id, { permissions: ["users:write", "charges:read", "charges:write"] }, key);
    expect([res.status, res.body.code]).toEqual([403, "scope_escalation"]);
    expect((await me(key)).body.scopes).toEqual(["users:write", "charges:read"]);
  });
});
