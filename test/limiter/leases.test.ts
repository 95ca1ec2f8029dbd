import { beforeEach, describe, expect, it } from "vitest";
import { dropIsolateCache } from "../../src/cache/key-records";
import { DEFAULT_LEASE_MS, LEASE_MIN_DEMAND } from "../../src/limiter/leases";
import { manualClock, type ManualClock } from "../clock";
import { ADMIN, call, env, guardCalls, partnerWithKey } from "../helpers";
import { callWith } from "../hardening/faulty-env";

// Leases are on by default; the suite's environment turns them off (vitest.config.ts), so these
// tests set GUARD_LEASE_MS on the Worker's environment per request.
const LEASES = { GUARD_LEASE_MS: "1000" };
const leased = (key: string) => callWith({}, "/v1/me/key", { auth: key, vars: LEASES });

describe("token leases (GUARD_LEASE_MS)", () => {
  // Demand is counted per second: every request here falls in the same one unless a test moves on.
  let clock: ManualClock;
  beforeEach(() => {
    clock = manualClock();
  });

  it("serves a busy key mostly from leases sized by its demand", async () => {
    const { key } = await partnerWithKey();
    const calls = [];
    for (let i = 0; i < 34; i++) {
      const res = await leased(key);
      expect(res.status).toBe(200);
      calls.push(guardCalls(res));
    }
    // Exact per request until the key shows demand (LEASE_MIN_DEMAND in one second), then one
    // call per lease, each sized by the demand seen so far that second (at most 64 tokens).
    // Requests 4, 9 and 19 take leases of 4, 9 and 19 tokens, which serve the rest.
    const asked = calls.flatMap((n, i) => (n > 0 ? [i + 1] : []));
    expect(asked).toEqual([1, 2, 3, 4, 9, 19]);
  });

  it("leaves a quiet key exact: no lease, each request costs one token, second after second", async () => {
    const { key } = await partnerWithKey();
    const replies = [];
    // LEASE_MIN_DEMAND - 1 requests in each of two seconds: the demand seen never reaches the minimum.
    for (let second = 0; second < 2; second++) {
      for (let i = 0; i < LEASE_MIN_DEMAND - 1; i++) replies.push(await leased(key));
      clock.advance(1_000);
    }
    expect(replies.map((r) => r.headers.get("ratelimit-remaining"))).toEqual(["999", "998", "997", "996", "995", "994"]);
    expect(replies.map(guardCalls)).toEqual(Array(6).fill(1));
    // The same key leases as soon as one second holds LEASE_MIN_DEMAND requests: what kept it
    // exact above was its demand, not leases being off.
    const busy = [];
    for (let i = 0; i < LEASE_MIN_DEMAND + 1; i++) busy.push(await leased(key));
    expect(busy.map(guardCalls)).toEqual([1, 1, 1, 1, 0]);
  });

  it("still lowers RateLimit-Remaining by one per request while leases serve them", async () => {
    const { key } = await partnerWithKey();
    const replies = [];
    for (let i = 0; i < 20; i++) replies.push(await leased(key));
    expect(replies.map((r) => Number(r.headers.get("ratelimit-remaining")))).toEqual(Array.from({ length: 20 }, (_, i) => 999 - i));
    // ...and leases did serve them: the guard was called for 6 of the 20 (requests 1-4, 9 and 19).
    expect(replies.map(guardCalls).filter((n) => n === 0)).toHaveLength(14);
  });

  it("shares one lease refill among concurrent requests instead of calling the guard for each", async () => {
    const { key } = await partnerWithKey({ rate_limit_tier: "premium" });
    for (let i = 0; i < LEASE_MIN_DEMAND; i++) await leased(key);
    const burst = await Promise.all(Array.from({ length: 32 }, () => leased(key)));
    expect(burst.every((r) => r.status === 200)).toBe(true);
    // About three: the refills carry 9, then 16, then the rest, while the others wait for them.
    expect(burst.reduce((n, r) => n + guardCalls(r), 0)).toBeLessThanOrEqual(4);
  });

  it("never admits more than the limit: leased tokens are counted when granted", async () => {
    const { key } = await partnerWithKey({ rate_limit_tier: "small" });
    const replies = [];
    for (let i = 0; i < 80; i++) replies.push(await leased(key));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    // Leases served some of the 50 (without them each costs a guard call): the limit held under leasing.
    expect(replies.slice(0, 50).reduce((n, r) => n + guardCalls(r), 0)).toBeLessThan(50);
    expect(statuses.slice(50).every((s) => s === 429)).toBe(true);
    // Other callers see the same count.
    expect((await call("/v1/me/key", { auth: key })).status).toBe(429);
  });

  it("leases nothing on tiers too small to share, so those stay exact per request", async () => {
    const { key } = await partnerWithKey({ rate_limit_tier: "tiny" });
    const replies = await Promise.all(Array.from({ length: 20 }, () => leased(key)));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(5);
    expect(replies.every((r) => r.status !== 200 || guardCalls(r) === 1)).toBe(true);
  });

  it("never leases a key with credits: every request is counted by the guard", async () => {
    const { key } = await partnerWithKey({ credits_remaining: 100 });
    for (let i = 0; i < 5; i++) expect(guardCalls(await leased(key))).toBe(1);
    expect((await call("/v1/me/key", { auth: key })).body.credits_remaining).toBe(94);
  });

  it("keeps revocation immediate: after the revoke answers, no isolate can still spend a lease", async () => {
    const { key, apiKey } = await partnerWithKey();
    for (let i = 0; i < LEASE_MIN_DEMAND; i++) expect((await leased(key)).status).toBe(200);
    expect(guardCalls(await leased(key))).toBe(0);
    // What another isolate holds: the pre-revoke record, and the lease it was granted under it.
    const stale = (await env.KEY_CACHE.get(`key:${apiKey.id}`))!;
    const revoke = await callWith({}, `/v1/keys/${apiKey.id}/revoke`, { method: "POST", auth: ADMIN, vars: LEASES });
    expect(revoke.status).toBe(200);
    await env.KEY_CACHE.put(`key:${apiKey.id}`, stale);
    dropIsolateCache();
    // Without the barrier the lease would still be live here and the stale record would admit the key.
    expect((await leased(key)).status).toBe(401);
  });

  it("leases by default: with GUARD_LEASE_MS unset a busy key is served from leases that last DEFAULT_LEASE_MS, and 0 turns them off", async () => {
    const { key } = await partnerWithKey();
    const byDefault = () => callWith({}, "/v1/me/key", { auth: key, vars: { GUARD_LEASE_MS: undefined } });
    // At a second's start: the 4th request shows demand and takes a lease of ceil(4 × 250/1000) = 1
    // token, the 6th one of ceil(6 × 250/1000) = 2, which serve the 7th and, 249 ms later, the 8th.
    const calls = [];
    for (let i = 0; i < 7; i++) calls.push(guardCalls(await byDefault()));
    expect(calls).toEqual([1, 1, 1, 1, 0, 1, 0]);
    clock.advance(DEFAULT_LEASE_MS - 1);
    expect(guardCalls(await byDefault()), "still within the lease").toBe(0);
    clock.advance(1);
    expect(guardCalls(await byDefault()), "the lease has expired: the guard decides again").toBe(1);

    const { key: strictKey } = await partnerWithKey();
    const off = () => callWith({}, "/v1/me/key", { auth: strictKey, vars: { GUARD_LEASE_MS: "0" } });
    for (let i = 0; i < 3 * LEASE_MIN_DEMAND; i++) expect(guardCalls(await off()), "GUARD_LEASE_MS=0: every request meets the guard").toBe(1);
  });
});
