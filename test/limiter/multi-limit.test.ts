import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { parseList } from "structured-headers";
import { beforeEach, describe, expect, it } from "vitest";
import { guardOf } from "../../src/limiter/client";
import type { KeyGuard } from "../../src/limiter/key-guard";
import { manualClock, type ManualClock } from "../clock";
import { call, env, guardCalls, me, partnerWithKey, storageCalls, verify, type Reply } from "../helpers";
import { callWith } from "../hardening/faulty-env";

// vitest.config.ts: the `burst` tier holds two limits, "burst" (5 per 1 s) and "minute" (20 per 60 s).
const BURST = { name: "burst", limit: 5, window_seconds: 1 };
const MINUTE = { name: "minute", limit: 20, window_seconds: 60 };

/** The structured RateLimit-Policy and RateLimit members of a response, by name, in order. */
function members(res: Reply) {
  const policy = parseList(res.headers.get("ratelimit-policy")!).map(([name, p]) => ({ name, q: p.get("q"), w: p.get("w") }));
  const limit = parseList(res.headers.get("ratelimit")!).map(([name, p]) => ({ name, r: p.get("r") as number, t: p.get("t") as number }));
  return { policy, limit };
}

const legacy = (res: Reply) => ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"].map((h) => Number(res.headers.get(h)));

describe("a tier of several limits (DESIGN §10)", () => {
  let clock: ManualClock;
  beforeEach(() => {
    clock = manualClock();
  });

  it("of 60 concurrent requests on burst 5/s + 20/min admits exactly 5, and never more than 20 in any minute", async () => {
    const { key } = await partnerWithKey({ rate_limit_tier: "burst" });
    const first = await Promise.all(Array.from({ length: 60 }, () => me(key)));
    expect(first.filter((r) => r.status === 200)).toHaveLength(5);
    expect(first.filter((r) => r.status === 429)).toHaveLength(55);

    // Bursts of 10 concurrent requests every 1.1 s for two and a half minutes: the minute fills
    // after four bursts and holds until its first second leaves it.
    const admitted: number[] = Array(5).fill(clock.now());
    for (let step = 1; step <= 136; step++) {
      clock.advance(1_100);
      const replies = await Promise.all(Array.from({ length: 10 }, () => me(key)));
      const ok = replies.filter((r) => r.status === 200).length;
      expect(ok, `at ${step * 1.1} s`).toBeLessThanOrEqual(BURST.limit);
      for (let i = 0; i < ok; i++) admitted.push(clock.now());
    }
    for (const at of admitted) expect(admitted.filter((a) => a > at - 60_000 && a <= at).length).toBeLessThanOrEqual(MINUTE.limit);
    // And the limits are limits, not a wall: every minute of it served its full 20.
    expect(admitted.filter((a) => a < admitted[0]! + 60_000)).toHaveLength(20);
    expect(admitted.length).toBeGreaterThanOrEqual(40);
  });

  it("names one RateLimit-Policy and one RateLimit member per limit; the legacy fields show the most restrictive (fewest remaining)", async () => {
    const { key } = await partnerWithKey({ rate_limit_tier: "burst" });
    const res = await me(key);
    expect(res.status).toBe(200);
    const { policy, limit } = members(res);
    expect(policy).toEqual([{ name: "burst", q: 5, w: 1 }, { name: "minute", q: 20, w: 60 }]);
    expect(limit.map((m) => [m.name, m.r])).toEqual([["burst", 4], ["minute", 19]]);
    for (const [i, m] of limit.entries()) expect(m.t).toBeLessThanOrEqual(policy[i]!.w as number);
    expect(legacy(res)).toEqual([5, 4, limit[0]!.t]);
  });

  it("a 429 by the burst spends nothing on the minute, and its Retry-After is long enough: after it the next request is admitted", async () => {
    const { key } = await partnerWithKey({ rate_limit_tier: "burst" });
    for (let i = 0; i < 5; i++) expect((await me(key)).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      const refused = await me(key);
      expect(refused.status).toBe(429);
      expect(members(refused).limit.map((m) => [m.name, m.r])).toEqual([["burst", 0], ["minute", 15]]);
    }
    const refused = await me(key);
    const retryAfter = Number(refused.headers.get("retry-after"));
    // The 1 s window counts in buckets of 1/60 s: it may free up to one bucket past the second.
    expect([1, 2]).toContain(retryAfter);
    expect(legacy(refused)[2]).toBeLessThanOrEqual(retryAfter);
    clock.advance(retryAfter * 1000);
    const next = await me(key);
    expect(next.status).toBe(200);
    expect(members(next).limit.find((m) => m.name === "minute")!.r, "the refusals spent nothing").toBe(14);
  });

  it("once the minute is full, the legacy fields and Retry-After follow the minute, though the burst has room", async () => {
    const { key } = await partnerWithKey({ rate_limit_tier: "burst" });
    const start = clock.now();
    for (let burst = 0; burst < 4; burst++) {
      for (let i = 0; i < 5; i++) expect((await me(key)).status).toBe(200);
      clock.advance(1_100);
    }
    const refused = await me(key);
    expect(refused.status).toBe(429);
    expect(members(refused).limit.map((m) => [m.name, m.r])).toEqual([["burst", 5], ["minute", 0]]);
    const [limit, remaining, reset] = legacy(refused);
    expect([limit, remaining]).toEqual([20, 0]);
    const retryAfter = Number(refused.headers.get("retry-after"));
    // The minute's first requests leave it 61 s after they came (its buckets are 1 s wide).
    expect(retryAfter).toBe(Math.ceil((start + 61_000 - clock.now()) / 1000));
    expect(reset).toBeLessThanOrEqual(retryAfter);
    clock.advance((retryAfter - 1) * 1000);
    expect((await me(key)).status, "a second early").toBe(429);
    clock.advance(1_000);
    expect((await me(key)).status).toBe(200);
  });

  it("verify lists every limit in `ratelimits`, and `ratelimit` is the most restrictive of them", async () => {
    const { key } = await partnerWithKey({ rate_limit_tier: "burst" });
    const res = await verify({ key, cost: 3 });
    expect(res.body.code).toBe("valid");
    expect(res.body.ratelimits).toEqual([
      { ...BURST, remaining: 2, reset: expect.any(Number) },
      { ...MINUTE, remaining: 17, reset: expect.any(Number) },
    ]);
    const burst = res.body.ratelimits[0];
    expect(res.body.ratelimit).toEqual({ limit: 5, remaining: 2, reset: burst.reset });
    const refused = await verify({ key, cost: 3 });
    expect(refused.body).toMatchObject({ valid: false, code: "rate_limited", ratelimit: { limit: 5, remaining: 2 } });
    expect(refused.body.ratelimits.map((l: { remaining: number }) => l.remaining), "nothing spent").toEqual([2, 17]);
  });

  it("refuses a verify whose cost exceeds a limit outright, spending nothing and leaving one-unit requests admitted", async () => {
    const { key } = await partnerWithKey({ rate_limit_tier: "burst" });
    const res = await verify({ key, cost: 6 });
    expect(res.body).toMatchObject({ valid: false, code: "rate_limited", ratelimit: { limit: 5, remaining: 5 } });
    expect((await me(key)).status).toBe(200);
  });

  it("costs one Durable Object call and no D1 or KV read per warm request, also past its limits", async () => {
    const { key } = await partnerWithKey({ rate_limit_tier: "burst" });
    await me(key);
    expect(storageCalls(await me(key))).toEqual({ do: 1 });
    for (let i = 0; i < 3; i++) await me(key);
    const refused = await me(key);
    expect(refused.status).toBe(429);
    expect(storageCalls(refused)).toEqual({ do: 1 });
    // The next 429 is this isolate's own: it remembers the full window until every limit admits again.
    const remembered = await me(key);
    expect([remembered.status, guardCalls(remembered)]).toEqual([429, 0]);
    expect(members(remembered).limit.map((m) => m.name)).toEqual(["burst", "minute"]);
  });

  it("leases nothing on a tier whose tightest limit is too small to share: each admission is the guard's", async () => {
    const { key } = await partnerWithKey({ rate_limit_tier: "burst" });
    const replies = await Promise.all(Array.from({ length: 20 }, () => callWith({}, "/v1/me/key", { auth: key, vars: { GUARD_LEASE_MS: "1000" } })));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(5);
    expect(replies.every((r) => r.status !== 200 || guardCalls(r) === 1)).toBe(true);
  });

  it("writes rate_limit.exceeded naming the limit that refused, once per that limit's window", async () => {
    const { key, apiKey } = await partnerWithKey({ rate_limit_tier: "burst" });
    for (let burst = 0; burst < 4; burst++) {
      for (let i = 0; i < 6; i++) await me(key);
      clock.advance(1_100);
    }
    // The burst refused once in each of four seconds; then the minute refuses, twice in its window.
    expect((await me(key)).status).toBe(429);
    clock.advance(1_100);
    expect((await me(key)).status).toBe(429);
    await runDurableObjectAlarm(guardOf(env, apiKey.id));
    const { results } = await env.DB.prepare("SELECT payload FROM events WHERE subject_id = ?1 AND type = 'rate_limit.exceeded' ORDER BY seq")
      .bind(apiKey.id)
      .all<{ payload: string }>();
    const data = results.map((r) => (JSON.parse(r.payload) as { data: unknown }).data);
    expect(data).toEqual([...Array(4).fill({ limit: 5, window_seconds: 1, name: "burst" }), { limit: 20, window_seconds: 60, name: "minute" }]);
  });
});

describe("a guard's stored windows across the change to several limits", () => {
  const bucketOf = (now: number, windowMs: number) => Math.floor(now / Math.max(1, Math.ceil(windowMs / 60)));

  it("keeps a window stored by a single-limit guard as its first limit's count when that limit is unchanged, and deletes slots past the tier's last limit", async () => {
    const clock = manualClock();
    const { key, apiKey } = await partnerWithKey({ rate_limit_tier: "burst" });
    const stub = guardOf(env, apiKey.id);
    await runInDurableObject(stub, (_: KeyGuard, state) => {
      // As an older guard left it: one window, "limit/windowMs", full this second; and a slot of a tier that had three limits.
      state.storage.kv.put("rl:meta", "5/1000");
      state.storage.kv.put(`rl:b:${bucketOf(clock.now(), 1000)}`, 5);
      state.storage.kv.put("rl:2:meta", "7/60000");
      state.storage.kv.put(`rl:2:b:${bucketOf(clock.now(), 60_000)}`, 7);
    });
    await evictDurableObject(stub);
    const refused = await me(key);
    expect(refused.status).toBe(429);
    expect(members(refused).limit.map((m) => [m.name, m.r])).toEqual([["burst", 0], ["minute", 20]]);
    const keys = await runInDurableObject(stub, (_: KeyGuard, state) => [...state.storage.kv.list({ prefix: "rl:" })].map(([k]) => k));
    expect(keys.filter((k) => k.startsWith("rl:2:"))).toEqual([]);
    expect(keys).toContain("rl:1:meta");
  });

  it("starts a limit afresh when its stored window was counted under another limit: counts are never read under a limit they were not counted for", async () => {
    const clock = manualClock();
    const { key, apiKey } = await partnerWithKey({ rate_limit_tier: "burst" });
    const stub = guardOf(env, apiKey.id);
    await runInDurableObject(stub, (_: KeyGuard, state) => {
      state.storage.kv.put("rl:meta", "1000/60000");
      state.storage.kv.put(`rl:b:${bucketOf(clock.now(), 60_000)}`, 999);
    });
    await evictDurableObject(stub);
    const res = await me(key);
    expect(res.status).toBe(200);
    expect(members(res).limit.map((m) => [m.name, m.r])).toEqual([["burst", 4], ["minute", 19]]);
  });

  it("keeps both limits' counts across an eviction", async () => {
    manualClock();
    const { key, apiKey } = await partnerWithKey({ rate_limit_tier: "burst" });
    for (let i = 0; i < 3; i++) expect((await me(key)).status).toBe(200);
    await evictDurableObject(guardOf(env, apiKey.id));
    expect(members(await me(key)).limit.map((m) => [m.name, m.r])).toEqual([["burst", 1], ["minute", 16]]);
    expect((await call("/v1/me/key", { auth: key })).status).toBe(200);
    expect((await call("/v1/me/key", { auth: key })).status).toBe(429);
  });
});
