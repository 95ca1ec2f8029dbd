import { describe, expect, it } from "vitest";
import { dropIsolateCache } from "../../src/cache/key-records";
import { ADMIN, call, env, partnerWithKey } from "../helpers";
import { callWith } from "../hardening/faulty-env";

// Opt-in leases: GUARD_LEASE_MS set on the Worker's environment (here, per request).
const LEASES = { GUARD_LEASE_MS: "1000" };
const leased = (key: string) => callWith({}, "/v1/me/key", { auth: key, vars: LEASES });
const doCalls = (res: { headers: Headers }) => Number(/do;dur=[\d.]+;desc=(\d+)/.exec(res.headers.get("server-timing") ?? "")?.[1] ?? 0);

describe("token leases (GUARD_LEASE_MS)", () => {
  it("serves most requests from a lease: one Durable Object call per 17 requests on a large tier", async () => {
    const { key } = await partnerWithKey();
    let calls = 0;
    for (let i = 0; i < 34; i++) {
      const res = await leased(key);
      expect(res.status).toBe(200);
      calls += doCalls(res);
    }
    // 2 when each run of 17 fits in the lease's second, as it does here by far; a very slow machine
    // may let a lease lapse once or twice, which costs a call, never an over-admission.
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThanOrEqual(4);
  });

  it("never admits more than the limit: leased tokens are counted when granted", async () => {
    const { key } = await partnerWithKey({ rate_limit_tier: "small" });
    const statuses = [];
    for (let i = 0; i < 80; i++) statuses.push((await leased(key)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(statuses.slice(50).every((s) => s === 429)).toBe(true);
    // Other callers see the same count.
    expect((await call("/v1/me/key", { auth: key })).status).toBe(429);
  });

  it("leases nothing on tiers too small to share, so those stay exact per request", async () => {
    const { key } = await partnerWithKey({ rate_limit_tier: "tiny" });
    const replies = await Promise.all(Array.from({ length: 20 }, () => leased(key)));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(5);
    expect(replies.every((r) => r.status !== 200 || doCalls(r) === 1)).toBe(true);
  });

  it("never leases a key with credits: every request is counted by the guard", async () => {
    const { key } = await partnerWithKey({ credits_remaining: 100 });
    for (let i = 0; i < 5; i++) expect(doCalls(await leased(key))).toBe(1);
    expect((await call("/v1/me/key", { auth: key })).body.credits_remaining).toBe(94);
  });

  it("keeps revocation immediate: after the revoke answers, no isolate can still spend a lease", async () => {
    const { key, apiKey } = await partnerWithKey();
    expect((await leased(key)).status).toBe(200);
    expect(doCalls(await leased(key))).toBe(0);
    // What another isolate holds: the pre-revoke record, and the lease it was granted under it.
    const stale = (await env.KEY_CACHE.get(`key:${apiKey.id}`))!;
    const revoke = await callWith({}, `/v1/keys/${apiKey.id}/revoke`, { method: "POST", auth: ADMIN, vars: LEASES });
    expect(revoke.status).toBe(200);
    await env.KEY_CACHE.put(`key:${apiKey.id}`, stale);
    dropIsolateCache();
    // Without the barrier the lease would still be live here and the stale record would admit the key.
    expect((await leased(key)).status).toBe(401);
  });
});
