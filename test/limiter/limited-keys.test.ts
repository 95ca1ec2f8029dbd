import { beforeEach, describe, expect, it } from "vitest";
import { HOLD_MS, knownLimited, rememberLimited } from "../../src/limiter/limited-keys";
import { manualClock } from "../clock";
import { call, guardCalls, me, partnerWithKey, verify } from "../helpers";


async function keyAtItsLimit() {
  const made = await partnerWithKey({ rate_limit_tier: "tiny" });
  for (let i = 0; i < 5; i++) expect((await me(made.key)).status).toBe(200);
  return made;
}

describe("keys this isolate knows to be over their limit", () => {
  // The hold lasts HOLD_MS: on a still clock a flood always falls inside it, however slow the machine.
  beforeEach(() => void manualClock());

  it("answers a flood past the limit without a guard call per request, with the same 429", async () => {
    const { key } = await keyAtItsLimit();
    const flood = [];
    for (let i = 0; i < 10; i++) flood.push(await me(key));
    expect(flood.map((r) => r.status)).toEqual(Array(10).fill(429));
    expect(flood.map(guardCalls)).toEqual([1, ...Array(9).fill(0)]);
    for (const res of flood) {
      expect(res.body.code).toBe("rate_limited");
      expect(res.headers.get("ratelimit-limit")).toBe("5");
      expect(res.headers.get("ratelimit-remaining")).toBe("0");
      expect(Number(res.headers.get("ratelimit-reset"))).toBeGreaterThan(0);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    }
  });

  it("admits at once after the operator raises the key's tier", async () => {
    const { key, apiKey } = await keyAtItsLimit();
    expect((await me(key)).status).toBe(429);
    expect((await call(`/v1/keys/${apiKey.id}`, { method: "PATCH", body: { rate_limit_tier: "standard" } })).status).toBe(200);
    const res = await me(key);
    expect(res.status).toBe(200);
    expect(res.headers.get("ratelimit-limit")).toBe("1000");
  });

  it("refuses a key revoked meanwhile as an invalid key, not as one over its limit", async () => {
    const { key, apiKey } = await keyAtItsLimit();
    expect((await me(key)).status).toBe(429);
    await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST" });
    const res = await me(key);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe("invalid_api_key");
    expect((await verify({ key })).body.code).toBe("revoked");
  });

  it("remembers only a full window: a refused costly request leaves cheaper ones admissible", async () => {
    const { key } = await partnerWithKey({ rate_limit_tier: "tiny" });
    expect((await verify({ key, cost: 4 })).body.code).toBe("valid");
    const costly = await verify({ key, cost: 3 });
    expect(costly.body).toMatchObject({ valid: false, code: "rate_limited", ratelimit: { limit: 5, remaining: 1 } });
    expect((await verify({ key, cost: 1 })).body.code).toBe("valid");
    expect((await verify({ key })).body.code).toBe("rate_limited");
    const res = await me(key);
    expect(res.status).toBe(429);
    expect(guardCalls(res)).toBe(0);
  });

  it("still answers a verify of cost 0 (a check that spends nothing) as valid", async () => {
    const { key } = await keyAtItsLimit();
    expect((await me(key)).status).toBe(429);
    const check = await verify({ key, cost: 0 });
    expect(check.body).toMatchObject({ valid: true, code: "valid", ratelimit: { limit: 5, remaining: 0 } });
  });

  it("holds what it learned for at most a second, and only for the record version it saw", () => {
    const now = 1_900_000_000_000; // any instant: the functions take it as an argument
    const version = { key: 3, partner: 1 };
    const full = { limit: 5, remaining: 0, reset: 42, limits: [{ name: "tiny", limit: 5, remaining: 0, reset: 42, window_seconds: 60 }] };
    rememberLimited("key_hold_test_000", version, full, now + 41_500, now);
    expect(knownLimited("key_hold_test_000", version, now + HOLD_MS - 1)).toMatchObject({ limit: 5, remaining: 0, reset: 41, retryAfter: 41 });
    expect(knownLimited("key_hold_test_000", { key: 4, partner: 1 }, now + 10)).toBeNull();
    rememberLimited("key_hold_test_000", version, full, now + 41_500, now);
    expect(knownLimited("key_hold_test_000", version, now + HOLD_MS)).toBeNull();
  });

  it("with several limits, answers Retry-After until every limit admits again, and never a Reset past it", () => {
    const now = 1_900_000_000_000;
    const version = { key: 1, partner: 1 };
    const state = {
      limit: 20,
      remaining: 0,
      reset: 30,
      limits: [
        { name: "burst", limit: 5, remaining: 0, reset: 1, window_seconds: 1 },
        { name: "minute", limit: 20, remaining: 0, reset: 30, window_seconds: 60 },
      ],
      retryAfter: 30,
    };
    rememberLimited("key_hold_test_001", version, state, now + 29_200, now);
    const known = knownLimited("key_hold_test_001", version, now + 500)!;
    expect(known.retryAfter).toBe(29);
    expect(known.limits.map((l) => [l.name, l.remaining, l.reset])).toEqual([["burst", 0, 1], ["minute", 0, 29]]);
    expect([known.limit, known.remaining, known.reset]).toEqual([20, 0, 29]);
    // A refusal whose every-limit time is unknown or never (a cost beyond a limit) is not remembered.
    rememberLimited("key_hold_test_002", version, state, Infinity, now);
    expect(knownLimited("key_hold_test_002", version, now)).toBeNull();
  });
});
