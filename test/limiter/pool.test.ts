import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { poolOf } from "../../src/limiter/client";
import { manualClock } from "../clock";
import { call, createKey, createPartner, env, me, storageCalls, verify } from "../helpers";

const DAY = 86_400_000;
const statusesOf = async (keys: string[], each: number) =>
  (await Promise.all(keys.flatMap((key) => Array.from({ length: each }, () => me(key))))).map((r) => r.status);
const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;
const patchPartner = (id: string, body: Record<string, unknown>) => call(`/v1/partners/${id}`, { method: "PATCH", body });

/** A partner with `keys` keys (bodies), created by the operator. */
async function partnerWithKeys(partner: Record<string, unknown>, ...bodies: Record<string, unknown>[]) {
  const p = await createPartner(partner);
  const keys = [];
  for (const body of bodies) keys.push(await createKey(p.id, body));
  return { partner: p, keys: keys.map((k) => k.key), apiKeys: keys.map((k) => k.api_key) };
}

describe("partner scope: all of a partner's keys share its tier's windows", () => {
  it("admits exactly 25 of 60 concurrent requests spread over two keys of a partner-scoped partner on a 25/min tier", async () => {
    const { keys } = await partnerWithKeys({ rate_limit_tier: "shared25", rate_limit_scope: "partner" }, {}, {});
    const statuses = await statusesOf(keys, 30);
    expect(count(statuses, 200)).toBe(25);
    expect(count(statuses, 429)).toBe(35);
  });

  it("still caps a key by its own tier inside the partner's shared windows", async () => {
    const { keys } = await partnerWithKeys({ rate_limit_tier: "shared25", rate_limit_scope: "partner" }, { rate_limit_tier: "tiny" }, {});
    const [capped, free] = keys as [string, string];
    expect(count(await statusesOf([capped], 10), 200)).toBe(5);
    expect(count(await statusesOf([free], 30), 200)).toBe(20);
    const last = await me(capped);
    // Both limits are shown, the key's own named apart from the partner's of the same name.
    expect(last.headers.get("ratelimit-policy")).toContain("shared25");
  });

  it("keeps every key's decision exact across a scope switch: each request is decided by one object, under the new limits", async () => {
    const { partner, keys } = await partnerWithKeys({ rate_limit_tier: "shared25" }, {}, {});
    // Key scope: each key has 25 of its own.
    expect(count(await statusesOf(keys, 20), 200)).toBe(40);
    expect((await patchPartner(partner.id, { rate_limit_scope: "partner" })).status).toBe(200);
    // Partner scope starts fresh shared windows: 25 together.
    expect(count(await statusesOf(keys, 20), 200)).toBe(25);
    expect((await patchPartner(partner.id, { rate_limit_scope: "key" })).status).toBe(200);
    // Back to key scope: the keys' own windows still hold their first 20 each.
    expect(count(await statusesOf(keys, 20), 200)).toBe(10);
  });
});

describe("partner credits: one balance shared by all of a partner's keys", () => {
  it("admits exactly 10 of 20 concurrent requests on two keys sharing 10 partner credits, then answers 402", async () => {
    const { partner, keys } = await partnerWithKeys({ credits_remaining: 10 }, {}, {});
    const statuses = await statusesOf(keys, 10);
    expect(count(statuses, 200)).toBe(10);
    expect(count(statuses, 402)).toBe(10);
    // The balance reaches D1 with the flush.
    await runDurableObjectAlarm(poolOf(env, partner.id));
    expect((await call(`/v1/partners/${partner.id}`)).body.credits_remaining).toBe(0);
  });

  it("spends from both the key's and the partner's balance and refuses when either is short, verify saying whose", async () => {
    const { partner, keys, apiKeys } = await partnerWithKeys({ credits_remaining: 5 }, { credits_remaining: 2 }, {});
    const [limited, unlimited] = keys as [string, string];
    const first = await verify({ key: limited });
    expect(first.body).toMatchObject({ valid: true, credits_remaining: 1, credits_source: "key" });
    expect(first.body.api_key.credits_remaining).toBe(1);
    expect((await verify({ key: unlimited })).body).toMatchObject({ valid: true, credits_remaining: 3, credits_source: "partner" });
    // The key has 1, the partner 3: a cost of 2 is short on the key's side.
    expect((await verify({ key: limited, cost: 2 })).body).toMatchObject({ valid: false, code: "credits_exhausted", credits_remaining: 1, credits_source: "key" });
    // The partner has 3: a cost of 4 from the key without credits is short on the partner's side.
    expect((await verify({ key: unlimited, cost: 4 })).body).toMatchObject({ valid: false, code: "credits_exhausted", credits_remaining: 3, credits_source: "partner" });
    expect((await verify({ key: limited })).body).toMatchObject({ valid: true, credits_remaining: 0, credits_source: "key" });
    expect((await verify({ key: unlimited, cost: 2 })).body).toMatchObject({ valid: true, credits_remaining: 0, credits_source: "partner" });
    expect((await me(unlimited)).status).toBe(402);
    // The operator tops the partner up: both keys see it on their next request, the key still short of its own.
    await patchPartner(partner.id, { credits_remaining: 4 });
    expect((await me(unlimited)).status).toBe(200);
    expect((await me(limited)).status).toBe(402);
    await call(`/v1/keys/${apiKeys[0]!.id}`, { method: "PATCH", body: { credits_remaining: 1 } });
    expect((await verify({ key: limited })).body).toMatchObject({ valid: true, credits_remaining: 0, credits_source: "key" });
  });

  it("tops the partner's balance up once at the UTC boundary however many keys meet it", async () => {
    const clock = manualClock(Date.UTC(2027, 4, 31, 23, 30));
    const { keys } = await partnerWithKeys({ credits_refill: { amount: 4, interval: "day" } }, {}, {});
    expect(count(await statusesOf(keys, 4), 200)).toBe(4);
    clock.advance(30 * 60_000);
    const atBoundary = await statusesOf(keys, 5);
    expect(count(atBoundary, 200)).toBe(4);
    clock.advance(DAY - 1);
    expect(count(await statusesOf(keys, 1), 200), "one millisecond before the next midnight").toBe(0);
    clock.advance(1);
    expect(count(await statusesOf(keys, 3), 200)).toBe(4);
  });

  it("hands a key's live balance between its own guard and its partner's pool when the partner starts and stops pooling", async () => {
    const { partner, keys, apiKeys } = await partnerWithKeys({}, { credits_remaining: 6 });
    const key = keys[0]!;
    // Spent in the key's own guard, not flushed to D1 yet (D1 still says 6).
    expect(count(await statusesOf([key], 2), 200)).toBe(2);
    expect((await call(`/v1/keys/${apiKeys[0]!.id}`)).body.credits_remaining).toBe(6);
    await patchPartner(partner.id, { credits_remaining: 100 });
    expect((await verify({ key })).body).toMatchObject({ valid: true, credits_remaining: 3, credits_source: "key" });
    await patchPartner(partner.id, { credits_remaining: null });
    expect((await verify({ key })).body).toMatchObject({ valid: true, credits_remaining: 2, credits_source: "key" });
    await patchPartner(partner.id, { rate_limit_scope: "partner" });
    expect(count(await statusesOf([key], 5), 200)).toBe(2);
  });
});

describe("switching to a pool under load", () => {
  it("spends a key's live balance exactly once when concurrent requests first meet the pool", async () => {
    const { partner, keys } = await partnerWithKeys({}, { credits_remaining: 6 }, {});
    const [key, other] = keys as [string, string];
    expect(count(await statusesOf([key], 2), 200)).toBe(2);
    // Shared credits from a refill: the partner starts at its amount and pools.
    const pooled = await patchPartner(partner.id, { credits_refill: { amount: 50, interval: "day" } });
    expect(pooled.body).toMatchObject({ credits_remaining: 50, credits_refill: { amount: 50, interval: "day" } });
    const statuses = await statusesOf([key, other], 10);
    // The key had 4 left (2 spent in its own guard, never flushed): 4 of its 10, all 10 of the other's.
    expect(count(statuses, 200)).toBe(14);
    expect((await verify({ key: other })).body).toMatchObject({ credits_remaining: 35, credits_source: "partner" });
  });
});

describe("switching without traffic in between", () => {
  it("keeps a key's unflushed balance when its partner pools and stops pooling before the key is used", async () => {
    const { partner, keys } = await partnerWithKeys({}, { credits_remaining: 5 });
    const key = keys[0]!;
    expect(count(await statusesOf([key], 2), 200)).toBe(2);
    await patchPartner(partner.id, { rate_limit_scope: "partner" });
    await patchPartner(partner.id, { rate_limit_scope: "key" });
    expect(count(await statusesOf([key], 5), 200)).toBe(3);
  });

  it("follows a key's balance through a pool, its own guard met for the first time, and the pool again", async () => {
    const { partner, keys } = await partnerWithKeys({ rate_limit_scope: "partner" }, { credits_remaining: 5 });
    const key = keys[0]!;
    expect(count(await statusesOf([key], 2), 200)).toBe(2);
    await patchPartner(partner.id, { rate_limit_scope: "key" });
    expect((await verify({ key })).body).toMatchObject({ valid: true, credits_remaining: 2, credits_source: "key" });
    await patchPartner(partner.id, { rate_limit_scope: "partner" });
    expect((await verify({ key })).body).toMatchObject({ valid: true, credits_remaining: 1, credits_source: "key" });
    expect(count(await statusesOf([key], 3), 200)).toBe(1);
  });
});

describe("the pool keeps the key's own rules", () => {
  it("refuses a revoked key, and every key of a suspended partner, on the very next request", async () => {
    const { partner, keys, apiKeys } = await partnerWithKeys({ credits_remaining: 100, rate_limit_scope: "partner" }, {}, {});
    const [a, b] = keys as [string, string];
    expect((await me(a)).status).toBe(200);
    await call(`/v1/keys/${apiKeys[0]!.id}/revoke`, { method: "POST" });
    expect((await me(a)).status).toBe(401);
    expect((await me(b)).status).toBe(200);
    await patchPartner(partner.id, { status: "suspended" });
    expect((await me(b)).status).toBe(401);
    expect((await verify({ key: b })).body.code).toBe("partner_suspended");
  });

  it("counts usage per key, live before the flush and in D1 after it", async () => {
    const { partner, keys, apiKeys } = await partnerWithKeys({ credits_remaining: 3 }, {}, {});
    const [a, b] = keys as [string, string];
    await statusesOf([a], 2);
    await statusesOf([b], 3);
    const total = async (id: string) => {
      const { data } = (await call(`/v1/keys/${id}/usage`)).body as { data: { admitted: number; credits_exhausted: number }[] };
      return { admitted: data.reduce((n, x) => n + x.admitted, 0), credits_exhausted: data.reduce((n, x) => n + x.credits_exhausted, 0) };
    };
    const live = [await total(apiKeys[0]!.id), await total(apiKeys[1]!.id)];
    expect(live[0]!.admitted + live[1]!.admitted).toBe(3);
    expect(live[0]!.credits_exhausted + live[1]!.credits_exhausted).toBe(2);
    await runDurableObjectAlarm(poolOf(env, partner.id));
    expect([await total(apiKeys[0]!.id), await total(apiKeys[1]!.id)]).toEqual(live);
    expect((await call(`/v1/keys/${apiKeys[0]!.id}`)).body.last_used_at).not.toBeNull();
  });

  it("keeps a pooled key's warm hot path at one Durable Object call and no D1 or KV", async () => {
    const { keys } = await partnerWithKeys({ credits_remaining: 100, rate_limit_scope: "partner" }, {});
    await me(keys[0]!);
    const warm = await me(keys[0]!);
    expect(warm.status).toBe(200);
    expect(storageCalls(warm)).toEqual({ do: 1 });
  });
});
