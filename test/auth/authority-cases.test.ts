import { describe, expect, it } from "vitest";
import { manualClock } from "../clock";
import { call, createKey, createPartner, unique } from "../helpers";

// Fixed cases of the authority rules (DESIGN §3a) beside the fast-check property in
// authority.test.ts: each is a rule that a deliberately broken line once slipped past.
const SCOPES = ["keys:read", "keys:write", "users:read", "users:write", "charges:read", "charges:write"];

async function managerOf(key: Record<string, unknown> = {}) {
  const partner = await createPartner({ scopes: SCOPES });
  const manager = await createKey(partner.id, { scopes: ["keys:read", "keys:write"], ...key });
  return { partner, manager };
}

const escalation = (res: { status: number; body: any }, path: string) => {
  expect([res.status, res.body?.code], JSON.stringify(res.body)).toEqual([403, "scope_escalation"]);
  expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
};

describe("authority, case by case", () => {
  it("a key with an IP list cannot hand out or take a wider network (a /23 around its /24), only one inside it", async () => {
    const { partner, manager } = await managerOf({ allowed_ips: ["10.1.2.0/24"] });
    const from = { "cf-connecting-ip": "10.1.2.1" };
    const wider = await call(`/v1/partners/${partner.id}/keys`, {
      auth: manager.key,
      headers: from,
      body: { name: "child", type: "secret", allowed_ips: ["10.1.2.0/23"] },
    });
    escalation(wider, "allowed_ips");
    const self = await call(`/v1/keys/${manager.api_key.id}`, { method: "PATCH", auth: manager.key, headers: from, body: { allowed_ips: ["10.1.2.0/23"] } });
    escalation(self, "allowed_ips");
    const inside = await call(`/v1/partners/${partner.id}/keys`, {
      auth: manager.key,
      headers: from,
      body: { name: "child", type: "secret", allowed_ips: ["10.1.2.0/25"] },
    });
    expect(inside.status, inside.text).toBe(201);
  });

  it("an expired key is final for key callers: PATCH and rotate are 409 key_expired and it stays expired; the operator may still revive it", async () => {
    const clock = manualClock();
    const { partner, manager } = await managerOf();
    const target = await createKey(partner.id, { scopes: ["keys:read"], expires_at: new Date(clock.now() + 60_000).toISOString() });
    clock.advance(60_000);
    const later = new Date(clock.now() + 30 * 86_400_000).toISOString();
    const patch = await call(`/v1/keys/${target.api_key.id}`, { method: "PATCH", auth: manager.key, body: { expires_at: later } });
    expect([patch.status, patch.body.code]).toEqual([409, "key_expired"]);
    const rotate = await call(`/v1/keys/${target.api_key.id}/rotate`, { method: "POST", auth: manager.key });
    expect([rotate.status, rotate.body.code]).toEqual([409, "key_expired"]);
    expect((await call(`/v1/keys/${target.api_key.id}`)).body.status).toBe("expired");
    const revived = await call(`/v1/keys/${target.api_key.id}`, { method: "PATCH", body: { expires_at: later } });
    expect([revived.status, revived.body.status]).toEqual([200, "active"]);
  });

  it("a key creates no user with a permission beyond its scopes, and nothing is written; within them it may", async () => {
    const partner = await createPartner({ scopes: SCOPES });
    const hr = await createKey(partner.id, { scopes: ["users:write"] });
    const email = `${unique("u")}@example.com`;
    const user = { first_name: "Ada", last_name: "Lovelace", email, role: "R" };
    const refused = await call(`/v1/partners/${partner.id}/users`, { auth: hr.key, body: { ...user, permissions: ["keys:write"] } });
    expect([refused.status, refused.body.code]).toEqual([403, "scope_escalation"]);
    const listed = await call(`/v1/partners/${partner.id}/users?limit=100`);
    expect(listed.body.data.map((u: { email: string }) => u.email)).not.toContain(email);
    const allowed = await call(`/v1/partners/${partner.id}/users`, { auth: hr.key, body: { ...user, permissions: ["users:write"] } });
    expect(allowed.status, allowed.text).toBe(201);
  });

  it("a keys:write key may not rotate (and so read the secret of) a key with scopes it lacks", async () => {
    const { partner, manager } = await managerOf();
    const broader = await createKey(partner.id, { scopes: ["keys:read", "charges:write"] });
    const res = await call(`/v1/keys/${broader.api_key.id}/rotate`, { method: "POST", auth: manager.key });
    expect([res.status, res.body.code]).toEqual([403, "scope_escalation"]);
    expect(res.text).not.toMatch(/kw_sk_/);
    expect((await call("/v1/me/key", { auth: broader.key })).status, "the secret still works").toBe(200);
  });

  it("a keys:write key may not revoke a key with scopes it lacks; that key keeps working", async () => {
    const { partner, manager } = await managerOf();
    const broader = await createKey(partner.id, { scopes: ["charges:write"] });
    const res = await call(`/v1/keys/${broader.api_key.id}/revoke`, { method: "POST", auth: manager.key });
    expect([res.status, res.body.code]).toEqual([403, "scope_escalation"]);
    expect((await call("/v1/me/key", { auth: broader.key })).status).toBe(200);
  });
});
