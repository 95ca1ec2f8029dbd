import { describe, expect, it } from "vitest";
import { manualClock } from "../clock";
import { call, createKey, createPartner, createUser, partnerWithKey } from "../helpers";

const KEY_FIELDS = [
  "id", "partner_id", "user_id", "name", "description", "type", "prefix", "last_four", "scopes", "resources",
  "allowed_origins", "allowed_ips", "allowed_agents", "rate_limit_tier", "credits_remaining", "expires_at", "status",
  "revoked_at", "revoked_by", "created_at", "created_by", "last_used_at", "secret_rotated_at", "updated_at",
].sort();

const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

describe("create key", () => {
  it("returns the full key once, with an api_key of exactly the contract's fields", async () => {
    const p = await createPartner();
    const res = await call(`/v1/partners/${p.id}/keys`, { body: { name: "Backend", type: "secret", scopes: ["charges:read"] } });
    expect(res.status).toBe(201);
    expect(res.body.key).toMatch(/^kw_sk_[0-9A-Za-z]{46}$/);
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
    for (const field of [{ rate_limit_tier: "premium" }, { rate_limit_tier: "small" }, { credits_remaining: 1000 }, { credits_remaining: 100 }, { credits_remaining: 1 }]) {
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
});

describe("list keys", () => {
  it("pages through more than one page newest first and filters by status and type", async () => {
    const p = await createPartner();
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await createKey(p.id, { type: i === 4 ? "publishable" : "secret", scopes: [] })).api_key.id);
    await call(`/v1/keys/${made[0]}/revoke`, { method: "POST" });

    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: any = await call(`/v1/partners/${p.id}/keys?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      ids.push(...res.body.data.map((k: { id: string }) => k.id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(ids).toEqual([...made].reverse());

    const revoked = await call(`/v1/partners/${p.id}/keys?status=revoked`);
    expect(revoked.body.data.map((k: { id: string }) => k.id)).toEqual([made[0]]);
    expect((await call(`/v1/partners/${p.id}/keys?status=active`)).body.data).toHaveLength(4);
    expect((await call(`/v1/partners/${p.id}/keys?type=publishable`)).body.data.map((k: { id: string }) => k.id)).toEqual([made[4]]);
    expect((await call(`/v1/partners/${p.id}/keys?status=bogus`)).status).toBe(400);
  });
});

describe("get key", () => {
  it("filters scopes by the user's permissions unless all_permissions=true (Partoo)", async () => {
    const p = await createPartner();
    const user = await createUser(p.id, { permissions: ["business_edit"] });
    const { api_key } = await createKey(p.id, { user_id: user.id, scopes: ["business_edit", "business_edit_name"] });
    expect((await call(`/v1/keys/${api_key.id}`)).body.scopes).toEqual(["business_edit"]);
    expect((await call(`/v1/keys/${api_key.id}?all_permissions=true`)).body.scopes).toEqual(["business_edit", "business_edit_name"]);
  });

  it("hides another partner's key behind a 404 and needs keys:read", async () => {
    const { key } = await partnerWithKey({ scopes: ["keys:read"] });
    const other = await createPartner();
    const theirs = await createKey(other.id);
    const res = await call(`/v1/keys/${theirs.api_key.id}`, { auth: key });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe("not_found");
    const { key: weak, apiKey } = await partnerWithKey({ scopes: ["charges:read"] });
    expect((await call(`/v1/keys/${apiKey.id}`, { auth: weak })).status).toBe(403);
  });

  it("answers 404 for a malformed or unknown key id", async () => {
    expect((await call("/v1/keys/nope")).status).toBe(404);
    expect((await call("/v1/keys/key_0000000000000000")).status).toBe(404);
  });
});

describe("update key", () => {
  it("changes the mutable fields and records who did it", async () => {
    const p = await createPartner();
    const { api_key } = await createKey(p.id);
    const expires = inAnHour();
    const res = await call(`/v1/keys/${api_key.id}`, {
      method: "PATCH",
      body: { name: "Renamed", description: "for billing", scopes: ["charges:read"], allowed_origins: ["https://app.example"], rate_limit_tier: "premium", expires_at: expires, credits_remaining: 5 },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: "Renamed", description: "for billing", scopes: ["charges:read"], allowed_origins: ["https://app.example"], rate_limit_tier: "premium", expires_at: expires, credits_remaining: 5 });
    expect((await call(`/v1/keys/${api_key.id}`)).body).toMatchObject({ name: "Renamed", description: "for billing", rate_limit_tier: "premium", credits_remaining: 5 });

    // Who did it: the operator here, then a key of the partner; each change is one key.updated event naming its actor.
    // (The editor holds at least what the edited key holds, tier and origins included, as a key editing another must.)
    const { key: editor, api_key: editorKey } = await createKey(p.id, {
      scopes: ["keys:write", "charges:read"], rate_limit_tier: "premium", allowed_origins: ["https://app.example"],
    });
    const byKey = await call(`/v1/keys/${api_key.id}`, { method: "PATCH", auth: editor, body: { name: "Renamed by a key" } });
    expect(byKey.status).toBe(200);
    expect(byKey.body.name).toBe("Renamed by a key");
    const updates = (await call(`/v1/partners/${p.id}/audit-events`)).body.data.filter(
      (e: { action: string; target_id: string }) => e.action === "key.updated" && e.target_id === api_key.id,
    );
    expect(updates).toEqual([
      expect.objectContaining({ actor: editorKey.id, request_id: byKey.headers.get("x-request-id") }),
      expect.objectContaining({ actor: "operator", request_id: res.headers.get("x-request-id") }),
    ]);
  });

  it("refuses unknown fields, server-owned fields and a past expiry", async () => {
    const p = await createPartner();
    const { api_key } = await createKey(p.id);
    const cases: [Record<string, unknown>, string, string][] = [
      // Unknown and server-owned keys have no path of their own: the error sits on the body and names the key.
      [{ status: "active" }, "json", '"status"'],
      [{ partner_id: "x" }, "json", '"partner_id"'],
      [{ last_used_at: null }, "json", '"last_used_at"'],
      [{ expires_at: "2001-01-01" }, "expires_at", "future"],
    ];
    for (const [body, path, named] of cases) {
      const res = await call(`/v1/keys/${api_key.id}`, { method: "PATCH", body });
      expect(res.status, path).toBe(400);
      expect(res.body.code, path).toBe("validation_error");
      expect(res.body.errors, JSON.stringify(body)).toEqual([{ path, message: expect.stringContaining(named) }]);
    }
  });

  it("does not let a partner key raise its own tier, credits or scopes", async () => {
    const { key, apiKey } = await partnerWithKey({ scopes: ["keys:write"] });
    for (const [body, code] of [[{ rate_limit_tier: "premium" }, "operator_only_field"], [{ credits_remaining: 10 }, "operator_only_field"], [{ scopes: ["keys:write", "audit:read"] }, "scope_escalation"]] as const) {
      const res = await call(`/v1/keys/${apiKey.id}`, { method: "PATCH", auth: key, body });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe(code);
    }
  });

  it("refuses changes to a revoked key with 409", async () => {
    const p = await createPartner();
    const { api_key } = await createKey(p.id);
    await call(`/v1/keys/${api_key.id}/revoke`, { method: "POST" });
    const res = await call(`/v1/keys/${api_key.id}`, { method: "PATCH", body: { name: "zombie" } });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("key_revoked");
  });
});

describe("rotate key", () => {
  it("without grace: the new secret works and the old one is refused on the next request", async () => {
    const { key: old, apiKey } = await partnerWithKey();
    const res = await call(`/v1/keys/${apiKey.id}/rotate`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(res.body.key).not.toBe(old);
    expect(res.body.api_key.id).toBe(apiKey.id);
    expect(res.body.api_key.last_four).toBe(res.body.key.slice(-4));
    expect(res.body.api_key.secret_rotated_at).toEqual(expect.any(String));
    expect((await call("/v1/me/key", { auth: old })).status).toBe(401);
    expect((await call("/v1/me/key", { auth: res.body.key })).status).toBe(200);
  });

  it("with grace: both secrets work until the grace period ends, and only the new one after it", async () => {
    const clock = manualClock();
    const { key: old, apiKey } = await partnerWithKey();
    const res = await call(`/v1/keys/${apiKey.id}/rotate`, { body: { grace_period_seconds: 60 } });
    clock.advance(59_000);
    expect((await call("/v1/me/key", { auth: old })).status).toBe(200);
    expect((await call("/v1/me/key", { auth: res.body.key })).status).toBe(200);
    clock.advance(1_000);
    expect((await call("/v1/me/key", { auth: old })).status).toBe(401);
    expect((await call("/v1/me/key", { auth: res.body.key })).status).toBe(200);
  });

  it("a second rotation during grace retires the oldest secret at once", async () => {
    const { key: first, apiKey } = await partnerWithKey();
    const second = (await call(`/v1/keys/${apiKey.id}/rotate`, { body: { grace_period_seconds: 3600 } })).body.key;
    const third = (await call(`/v1/keys/${apiKey.id}/rotate`, { body: { grace_period_seconds: 3600 } })).body.key;
    expect((await call("/v1/me/key", { auth: first })).status).toBe(401);
    expect((await call("/v1/me/key", { auth: second })).status).toBe(200);
    expect((await call("/v1/me/key", { auth: third })).status).toBe(200);
  });

  it("refuses to rotate a revoked key and validates the grace period", async () => {
    const { apiKey } = await partnerWithKey();
    expect((await call(`/v1/keys/${apiKey.id}/rotate`, { body: { grace_period_seconds: -1 } })).status).toBe(400);
    await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST" });
    expect((await call(`/v1/keys/${apiKey.id}/rotate`, { method: "POST" })).status).toBe(409);
  });
});

describe("revoke key", () => {
  it("refuses the key on the very next request and records who revoked it", async () => {
    const { key, apiKey } = await partnerWithKey();
    expect((await call("/v1/me/key", { auth: key })).status).toBe(200);
    const res = await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "revoked", revoked_by: "operator" });
    expect((await call("/v1/me/key", { auth: key })).status).toBe(401);
  });

  it("also kills a secret still inside a rotation grace period", async () => {
    const { key: old, apiKey } = await partnerWithKey();
    const fresh = (await call(`/v1/keys/${apiKey.id}/rotate`, { body: { grace_period_seconds: 3600 } })).body.key;
    await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST" });
    expect((await call("/v1/me/key", { auth: old })).status).toBe(401);
    expect((await call("/v1/me/key", { auth: fresh })).status).toBe(401);
  });

  it("is idempotent: a second revoke returns the same state and adds no audit event", async () => {
    const { partner, apiKey } = await partnerWithKey();
    const first = await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST" });
    const second = await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST" });
    expect(second.body.revoked_at).toBe(first.body.revoked_at);
    const events = await call(`/v1/partners/${partner.id}/audit-events`);
    expect(events.body.data.filter((e: { action: string }) => e.action === "key.revoked")).toHaveLength(1);
  });

  it("a key may revoke itself, after which it is refused", async () => {
    const { key, apiKey } = await partnerWithKey({ scopes: ["keys:write"] });
    expect((await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST", auth: key })).body.revoked_by).toBe(apiKey.id);
    expect((await call(`/v1/keys/${apiKey.id}`, { auth: key })).status).toBe(401);
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
