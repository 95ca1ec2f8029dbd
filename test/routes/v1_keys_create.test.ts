import { describe, expect, it } from "vitest";
import { manualClock } from "../clock";
import { call, createKey, createPartner, createUser, partnerWithKey } from "../helpers";

const KEY_FIELDS = [
  "id", "partner_id", "user_id", "name", "description", "type", "prefix", "last_four", "scopes", "resources",
  "allowed_origins", "allowed_ips", "allowed_agents", "rate_limit_tier", "credits_remaining", "credits_refill", "credits_refilled_at", "expires_at", "status",
  "revoked_at", "revoked_by", "leaked_at", "created_at", "created_by", "last_used_at", "secret_rotated_at", "updated_at",
].sort();

describe("create key", () => {
  it("returns the full key once, with an api_key of exactly the contract's fields", async () => {
    const p = await createPartner();
    const res = await call(`/v1/partners/${p.id}/keys`, { body: { name: "Backend", type: "secret", scopes: ["charges:read"] } });
    expect(res.status).toBe(201);
    expect(res.body.key).toMatch(/^kw_sk_[0-9A-Za-z]{52}$/);
    expect(Object.keys(res.body.api_key).sort()).toEqual(KEY_FIELDS);
    expect(res.body.api_key).toMatchObject({
      partner_id: p.id, name: "Backend", type: "secret", status: "active", scopes: ["charges:read"],
      last_four: res.body.key.slice(-4), prefix: res.body.key.slice(0, 22), created_by: "operator",
    });
    expect(res.body.key.startsWith(res.body.api_key.prefix)).toBe(true);
  });

  it("issues kw_pk_, kw_tk_ and kw_pat_ keys for the other types", async () => {
    const p = await createPartner();
    expect((await createKey(p.id, { type: "publishable" })).key).toMatch(/^kw_pk_/);
    expect((await createKey(p.id, { type: "tokenization" })).key).toMatch(/^kw_tk_/);
    expect((await createKey(p.id, { type: "personal" })).key).toMatch(/^kw_pat_/);
  });

  it("gives a key without scopes its partner's scopes", async () => {
    const p = await createPartner({ scopes: ["charges:read", "keys:read"] });
    expect((await createKey(p.id)).api_key.scopes).toEqual(["charges:read", "keys:read"]);
    expect((await createKey(p.id, { type: "publishable" })).api_key.scopes).toEqual(["charges:read"]);
  });

  it("refuses management scopes on a publishable key", async () => {
    const p = await createPartner();
    const res = await call(`/v1/partners/${p.id}/keys`, { body: { name: "web", type: "publishable", scopes: ["keys:write"] } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe("scopes");
  });

  it("refuses an expires_at in the past and accepts a future date or date-time", async () => {
    const p = await createPartner();
    const past = await call(`/v1/partners/${p.id}/keys`, { body: { name: "k", type: "secret", expires_at: "2020-01-01T00:00:00Z" } });
    expect(past.status).toBe(400);
    expect(past.body.errors[0].path).toBe("expires_at");
    const nextYear = `${new Date().getUTCFullYear() + 1}-06-05`;
    expect((await createKey(p.id, { expires_at: nextYear })).api_key.expires_at).toBe(`${nextYear}T00:00:00.000Z`);
  });

  it("validates IP and CIDR allowlists on write", async () => {
    const p = await createPartner();
    const ok = await createKey(p.id, { allowed_ips: ["172.16.0.0/12", "127.0.0.1", "2001:DB8::/32"] });
    expect(ok.api_key.allowed_ips).toEqual(["172.16.0.0/12", "127.0.0.1", "2001:db8::/32"]);
    for (const bad of ["12.34.56.789", "10.0.0.0/33", "01.2.3.4", "host.example"]) {
      const res = await call(`/v1/partners/${p.id}/keys`, { body: { name: "k", type: "secret", allowed_ips: [bad] } });
      expect(res.status, bad).toBe(400);
    }
  });

  it("lets a keys:write key create keys for its own partner, never beyond its scopes, tier or credits", async () => {
    // The parent is fenced below its partner (partner default tier "standard", 1000/min): tier "small" (50/min) and 100 credits.
    const { partner, key, apiKey: parent } = await partnerWithKey({ scopes: ["keys:write", "charges:read"], rate_limit_tier: "small", credits_remaining: 100 });
    expect(parent).toMatchObject({ rate_limit_tier: "small", credits_remaining: 100 });

    // A child that sets neither takes the parent's tier (not the partner's looser default) and no credits of its own.
    const child = await createKey(partner.id, { scopes: ["charges:read"] }, key);
    expect(child.api_key).toMatchObject({ created_by: parent.id, scopes: ["charges:read"], rate_limit_tier: "small", credits_remaining: 0 });
    const childAsStored = (await call(`/v1/keys/${child.api_key.id}`)).body;
    expect(childAsStored).toMatchObject({ rate_limit_tier: "small", credits_remaining: 0 });
    // With no credits it can spend nothing: the parent's balance is not handed down.
    const spent = await call("/v1/me/key", { auth: child.key });
    expect(spent.status).toBe(402);
    expect(spent.body.code).toBe("credits_exhausted");

    const escalate = await call(`/v1/partners/${partner.id}/keys`, { auth: key, body: { name: "x", type: "secret", scopes: ["charges:write"] } });
    expect(escalate.status).toBe(403);
    expect(escalate.body.code).toBe("scope_escalation");
    // Tier and credits are the operator's: a key may not set them on a child, neither above its own nor at all.
    for (const field of [{ rate_limit_tier: "premium" }, { rate_limit_tier: "small" }, { credits_remaining: 1000 }, { credits_remaining: 100 }, { credits_remaining: 1 }, { credits_refill: { amount: 5, interval: "day" } }, { credits_refill: null }]) {
      const res = await call(`/v1/partners/${partner.id}/keys`, { auth: key, body: { name: "x", type: "secret", ...field } });
      expect(res.status, JSON.stringify(field)).toBe(403);
      expect(res.body.code, JSON.stringify(field)).toBe("operator_only_field");
      // Nor raise them on the child afterwards.
      const raise = await call(`/v1/keys/${child.api_key.id}`, { method: "PATCH", auth: key, body: field });
      expect(raise.status, JSON.stringify(field)).toBe(403);
      expect(raise.body.code, JSON.stringify(field)).toBe("operator_only_field");
    }
    expect((await call(`/v1/keys/${child.api_key.id}`)).body).toMatchObject({ rate_limit_tier: "small", credits_remaining: 0 });
    const other = await createPartner();
    expect((await call(`/v1/partners/${other.id}/keys`, { auth: key, body: { name: "x", type: "secret" } })).status).toBe(404);
  });

  it("binds keys only to users of the same partner", async () => {
    const p = await createPartner();
    const other = await createPartner();
    const stranger = await createUser(other.id);
    const res = await call(`/v1/partners/${p.id}/keys`, { body: { name: "k", type: "secret", user_id: stranger.id } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe("user_id");
    const own = await createUser(p.id);
    expect((await createKey(p.id, { user_id: own.id })).api_key.user_id).toBe(own.id);
  });
});

describe("expiry", () => {
  it("refuses a key once its expires_at has passed and reports it as expired", async () => {
    const clock = manualClock();
    const partner = await createPartner();
    const expiresAt = clock.now() + 60_000;
    const { key, api_key: apiKey } = await createKey(partner.id, { expires_at: new Date(expiresAt).toISOString() });
    clock.advance(59_999);
    expect((await call("/v1/me/key", { auth: key })).body.status).toBe("active");
    clock.advance(1);
    expect((await call("/v1/me/key", { auth: key })).status).toBe(401);
    expect((await call(`/v1/keys/${apiKey.id}`)).body.status).toBe("expired");
  });
});
