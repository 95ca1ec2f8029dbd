import { describe, expect, it } from "vitest";
import { manualClock } from "../clock";
import { call, createKey, createPartner, createUser, partnerWithKey, verify } from "../helpers";

/** Verifies as the operator unless `auth` names another caller. */

describe("POST /v1/keys/verify", () => {
  it("answers valid with the key, its rate-limit state and credits, and counts like a direct call", async () => {
    const { key, apiKey } = await partnerWithKey({ rate_limit_tier: "tiny", credits_remaining: 10 });
    const res = await verify({ key });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ valid: true, code: "valid", ratelimit: { limit: 5, remaining: 4 }, credits_remaining: 9 });
    expect(res.body.api_key.id).toBe(apiKey.id);
    expect(res.body.ratelimit.reset).toBeGreaterThan(0);
    expect((await call("/v1/me/key", { auth: key })).headers.get("ratelimit-remaining")).toBe("3");
  });

  it("lists every limit by name with its window, the reset within it, and where credits come from", async () => {
    const { key } = await partnerWithKey({ rate_limit_tier: "tiny", credits_remaining: 10 });
    const res = await verify({ key });
    expect(res.body.ratelimits).toEqual([{ name: "tiny", limit: 5, remaining: 4, reset: res.body.ratelimit.reset, window_seconds: 60 }]);
    expect(res.body.ratelimit.reset).toBeLessThanOrEqual(60);
    expect(res.body.credits_source).toBe("key");
    const unlimited = await verify({ key: (await partnerWithKey()).key });
    expect(unlimited.body).toMatchObject({ credits_remaining: null, credits_source: null, ratelimits: [{ name: "standard", limit: 1000 }] });
    const unknown = await verify({ key: "kw_sk_nothing" });
    expect(unknown.body).toMatchObject({ valid: false, code: "invalid_api_key", ratelimits: [], credits_source: null });
  });

  it("spends `cost` units of rate limit and credits", async () => {
    const { key } = await partnerWithKey({ credits_remaining: 10 });
    expect((await verify({ key, cost: 4 })).body.credits_remaining).toBe(6);
    const over = await verify({ key, cost: 7 });
    expect(over.body).toMatchObject({ valid: false, code: "credits_exhausted", credits_remaining: 6 });
  });

  it("gives a precise code for every kind of failure", async () => {
    const p = await createPartner();
    const user = await createUser(p.id, { permissions: ["read"] });
    const cases: [Record<string, unknown>, string][] = [];

    cases.push([{ key: "kw_sk_garbage" }, "invalid_api_key"]);
    const revoked = await createKey(p.id);
    await call(`/v1/keys/${revoked.api_key.id}/revoke`, { method: "POST" });
    cases.push([{ key: revoked.key }, "revoked"]);
    const scoped = await createKey(p.id, { user_id: user.id, scopes: ["read", "write"] });
    cases.push([{ key: scoped.key, required_scopes: ["write"] }, "insufficient_scope"]);
    const origins = await createKey(p.id, { allowed_origins: ["https://a.example"] });
    cases.push([{ key: origins.key, origin: "https://b.example" }, "origin_not_allowed"]);
    const ips = await createKey(p.id, { allowed_ips: ["10.0.0.0/8"] });
    cases.push([{ key: ips.key, ip: "192.0.2.1" }, "ip_not_allowed"]);
    cases.push([{ key: ips.key }, "ip_not_allowed"]);
    const agents = await createKey(p.id, { allowed_agents: ["App"] });
    cases.push([{ key: agents.key, user_agent: "AppX/1" }, "agent_not_allowed"]);
    const tiny = await createKey(p.id, { rate_limit_tier: "tiny" });
    for (let i = 0; i < 5; i++) await verify({ key: tiny.key });
    cases.push([{ key: tiny.key }, "rate_limited"]);
    const broke = await createKey(p.id, { credits_remaining: 0 });
    cases.push([{ key: broke.key }, "credits_exhausted"]);

    for (const [body, code] of cases) {
      const res = await verify(body);
      expect(res.status, code).toBe(200);
      expect(res.body.valid, code).toBe(false);
      expect(res.body.code).toBe(code);
      expect(Object.keys(res.body.ratelimit).sort()).toEqual(["limit", "remaining", "reset"]);
    }
    expect((await verify({ key: "kw_sk_garbage" })).body.api_key).toBeUndefined();
    expect((await verify({ key: revoked.key })).body.api_key.status).toBe("revoked");
    expect((await verify({ key: scoped.key, required_scopes: ["read"] })).body.code).toBe("valid");
    expect((await verify({ key: ips.key, ip: "10.1.2.3" })).body.code).toBe("valid");
  });

  it("reports expired and partner_suspended", async () => {
    const clock = manualClock();
    const expiresAt = clock.now() + 2000;
    const { key: soon } = await partnerWithKey({ expires_at: new Date(expiresAt).toISOString() });
    clock.advance(1_999);
    expect((await verify({ key: soon, cost: 0 })).body.code).toBe("valid");
    clock.advance(1);
    expect((await verify({ key: soon })).body.code).toBe("expired");
    const { partner, key } = await partnerWithKey();
    await call(`/v1/partners/${partner.id}`, { method: "PATCH", body: { status: "suspended" } });
    expect((await verify({ key })).body.code).toBe("partner_suspended");
  });

  it("does not count refused verifications", async () => {
    const { key } = await partnerWithKey({ rate_limit_tier: "tiny", allowed_origins: ["https://a.example"] });
    for (let i = 0; i < 3; i++) await verify({ key, origin: "https://evil.example" });
    expect((await verify({ key })).body.ratelimit.remaining).toBe(4);
  });

  it("lets a keys:verify key verify only its own partner's keys", async () => {
    const { partner, key: verifier } = await partnerWithKey({ scopes: ["keys:verify"] });
    const mine = await createKey(partner.id);
    const theirs = await createKey((await createPartner()).id);
    expect((await verify({ key: mine.key }, verifier)).body.code).toBe("valid");
    const foreign = await verify({ key: theirs.key }, verifier);
    expect(foreign.body).toMatchObject({ valid: false, code: "invalid_api_key" });
    expect(foreign.body.api_key).toBeUndefined();
    const { key: noScope } = await partnerWithKey({ scopes: ["keys:read"] });
    expect((await verify({ key: mine.key }, noScope)).status).toBe(403);
  });

  it("validates its body", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{}, "key"],
      [{ key: "" }, "key"],
      [{ key: "k", cost: -1 }, "cost"],
      [{ key: "k", extra: 1 }, "json"],
    ];
    for (const [body, path] of cases) {
      const res = await verify(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code, JSON.stringify(body)).toBe("validation_error");
      expect(res.body.errors.map((e: { path: string }) => e.path), JSON.stringify(body)).toEqual([path]);
    }
    // An unknown field has no path of its own: the error sits on the body and names the field.
    expect((await verify({ key: "k", extra: 1 })).body.errors[0].message).toContain("extra");
  });
});
