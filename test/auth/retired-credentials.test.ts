import { describe, expect, it } from "vitest";
import { dropIsolateCache } from "../../src/cache/key-records";
import { manualClock } from "../clock";
import { accessToken, call, env, partnerWithKey, storageCalls, type Reply } from "../helpers";

function expectInvalid(res: Reply, label: string) {
  expect([res.status, res.body?.code], `${label}: ${res.text}`).toEqual([401, "invalid_api_key"]);
}

/**
 * Presents a retired credential `times` times: every answer is 401 invalid_api_key; the first may
 * look the key up (a cache read and one D1 read, never a write), every later one touches no storage.
 */
async function expectCheapRefusals(credential: string, times = 6) {
  const first = await call("/v1/me/key", { auth: credential });
  expectInvalid(first, "first");
  const firstCalls = storageCalls(first);
  // At most one KV read (a KV write would make it 2, as a KV refill does) and one D1 read.
  expect(firstCalls.kv ?? 0, JSON.stringify(firstCalls)).toBeLessThanOrEqual(1);
  expect(firstCalls.d1 ?? 0, JSON.stringify(firstCalls)).toBeLessThanOrEqual(1);
  // A refused credential never reaches the key's Durable Object (which would count or write).
  expect(firstCalls.do ?? 0, JSON.stringify(firstCalls)).toBe(0);
  for (let i = 2; i <= times; i++) {
    const res = await call("/v1/me/key", { auth: credential });
    expectInvalid(res, `request ${i}`);
    const calls = storageCalls(res);
    expect(calls.d1, `request ${i}: ${JSON.stringify(calls)}`).toBeUndefined();
    expect(calls.kv, `request ${i}: ${JSON.stringify(calls)}`).toBeUndefined();
    expect(calls, `request ${i}`).toEqual({});
  }
}


describe("credentials that were valid once cost no storage write and at most one read per isolate a minute", () => {
  it("a secret rotated out with grace 0, presented repeatedly: all 401 invalid_api_key, and after the first no D1 and no KV", async () => {
    const { key: old, apiKey } = await partnerWithKey();
    expect((await call("/v1/me/key", { auth: old })).status).toBe(200);
    const rotated = await call(`/v1/keys/${apiKey.id}/rotate`, { body: { grace_period_seconds: 0 } });
    expect(rotated.status, rotated.text).toBe(200);
    await expectCheapRefusals(old);
    // The new secret is unaffected by the memory of the old one.
    const fresh = await call("/v1/me/key", { auth: rotated.body.key });
    expect(fresh.status).toBe(200);
    // And the old one, presented after the new one was served, still costs nothing.
    const again = await call("/v1/me/key", { auth: old });
    expectInvalid(again, "after the new secret");
    expect(storageCalls(again)).toEqual({});
  });

  it("a secret rotated out after the new secret was already served from this isolate (the new record warm): same", async () => {
    const { key: old, apiKey } = await partnerWithKey();
    const rotated = await call(`/v1/keys/${apiKey.id}/rotate`, { body: { grace_period_seconds: 0 } });
    // The new secret first, so this isolate holds the new record when the old secret arrives.
    expect((await call("/v1/me/key", { auth: rotated.body.key })).status).toBe(200);
    await expectCheapRefusals(old);
  });

  it("a secret whose grace period ended, presented repeatedly: all 401 invalid_api_key, and after the first no D1 and no KV", async () => {
    const clock = manualClock();
    const { key: old, apiKey } = await partnerWithKey();
    const rotated = await call(`/v1/keys/${apiKey.id}/rotate`, { body: { grace_period_seconds: 1 } });
    expect(rotated.status, rotated.text).toBe(200);
    clock.advance(999);
    expect((await call("/v1/me/key", { auth: old })).status).toBe(200);
    clock.advance(1);
    await expectCheapRefusals(old);
    expect((await call("/v1/me/key", { auth: rotated.body.key })).status).toBe(200);
  });

  it("an access token minted with a secret later rotated out with grace 0: all 401 invalid_api_key, and after the first no D1 and no KV", async () => {
    const { key: old, apiKey } = await partnerWithKey();
    const token = await accessToken(apiKey.id, old);
    expect((await call("/v1/me/key", { auth: token })).status).toBe(200);
    const rotated = await call(`/v1/keys/${apiKey.id}/rotate`, { body: { grace_period_seconds: 0 } });
    expect(rotated.status, rotated.text).toBe(200);
    await expectCheapRefusals(token);
    // A token of the new secret works, and the old token still costs nothing afterwards.
    const newToken = await accessToken(apiKey.id, rotated.body.key);
    expect((await call("/v1/me/key", { auth: newToken })).status).toBe(200);
    const again = await call("/v1/me/key", { auth: token });
    expectInvalid(again, "old token after the new one");
    expect(storageCalls(again)).toEqual({});
  });

  it("a rotated-out secret meeting a cold cache (KV entry gone, new isolate): one D1 read in all, then no D1 and no KV", async () => {
    const { key: old, apiKey } = await partnerWithKey();
    const rotated = await call(`/v1/keys/${apiKey.id}/rotate`, { body: { grace_period_seconds: 0 } });
    expect(rotated.status, rotated.text).toBe(200);
    // KV lost the record (eviction, or a refill that failed) and this isolate never saw the key.
    await env.KEY_CACHE.delete(`key:${apiKey.id}`);
    dropIsolateCache();
    const first = await call("/v1/me/key", { auth: old });
    expectInvalid(first, "first");
    expect(storageCalls(first).d1 ?? 0).toBeLessThanOrEqual(1);
    // One KV read that missed, and no refill write: a record reaches KV only once a credential proved it.
    expect(storageCalls(first).kv).toBe(1);
    for (let i = 2; i <= 5; i++) {
      const res = await call("/v1/me/key", { auth: old });
      expectInvalid(res, `request ${i}`);
      expect(storageCalls(res), `request ${i}`).toEqual({});
    }
    expect((await call("/v1/me/key", { auth: rotated.body.key })).status).toBe(200);
  });

  it("the old key and an old token on an operator-only route are 401 invalid_api_key too, and cost nothing once known", async () => {
    const { key: old, apiKey } = await partnerWithKey();
    const token = await accessToken(apiKey.id, old);
    await call(`/v1/keys/${apiKey.id}/rotate`, { body: { grace_period_seconds: 0 } });
    for (const credential of [old, token]) {
      expectInvalid(await call("/v1/me/key", { auth: credential }), "warm-up");
      const res = await call("/v1/partners", { auth: credential });
      expectInvalid(res, "operator-only route");
      expect(storageCalls(res)).toEqual({});
    }
  });
});
