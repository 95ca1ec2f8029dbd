import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { KeyGuard } from "../../src/limiter/key-guard";
import { guardOf } from "../../src/limiter/client";
import { call, createKey, createPartner, env, partnerWithKey } from "../helpers";

const status = async (key: string) => (await call("/v1/me/key", { auth: key })).status;

describe("rate limiting through the Worker", () => {
  it("admits exactly the tier's limit out of many concurrent requests", async () => {
    const { key } = await partnerWithKey({ rate_limit_tier: "tiny" });
    const replies = await Promise.all(Array.from({ length: 30 }, () => call("/v1/me/key", { auth: key })));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(25);
    const limited = replies.find((r) => r.status === 429)!;
    expect(limited.body.code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.headers.get("ratelimit-remaining")).toBe("0");
  });

  it("sends RateLimit headers on every key-authenticated response, success or not", async () => {
    const { key, partner } = await partnerWithKey({ rate_limit_tier: "tiny", scopes: [] });
    const ok = await call("/v1/me/key", { auth: key });
    expect(ok.headers.get("ratelimit-limit")).toBe("5");
    expect(ok.headers.get("ratelimit-remaining")).toBe("4");
    expect(Number(ok.headers.get("ratelimit-reset"))).toBeGreaterThan(0);
    const forbidden = await call(`/v1/partners/${partner.id}/keys`, { auth: key });
    expect(forbidden.status).toBe(403);
    // A scope refusal is decided in the admission and spends nothing.
    expect(forbidden.headers.get("ratelimit-remaining")).toBe("4");
    expect((await call("/healthz", { auth: null })).headers.get("ratelimit-limit")).toBeNull();
  });

  it("uses the key's tier over its partner's, and the partner's when the key has none", async () => {
    const p = await createPartner({ rate_limit_tier: "tiny" });
    const inherits = await createKey(p.id);
    expect((await call("/v1/me/key", { auth: inherits.key })).headers.get("ratelimit-limit")).toBe("5");
    const own = await createKey(p.id, { rate_limit_tier: "premium" });
    expect((await call("/v1/me/key", { auth: own.key })).headers.get("ratelimit-limit")).toBe("20000");
  });

  it("applies a tier change made by the operator on the next request", async () => {
    const { key, apiKey } = await partnerWithKey({ rate_limit_tier: "tiny" });
    await call("/v1/me/key", { auth: key });
    await call(`/v1/keys/${apiKey.id}`, { method: "PATCH", body: { rate_limit_tier: "standard" } });
    expect((await call("/v1/me/key", { auth: key })).headers.get("ratelimit-limit")).toBe("1000");
  });

  it("keeps its count across an eviction of the Durable Object", async () => {
    const { key, apiKey } = await partnerWithKey({ rate_limit_tier: "tiny" });
    for (let i = 0; i < 5; i++) expect(await status(key)).toBe(200);
    await evictDurableObject(guardOf(env, apiKey.id));
    expect(await status(key)).toBe(429);
  });

  it("keeps a concurrent burst's count across an eviction (admissions are written together)", async () => {
    const { key, apiKey } = await partnerWithKey({ rate_limit_tier: "small" });
    const burst = await Promise.all(Array.from({ length: 50 }, () => status(key)));
    expect(burst.every((s) => s === 200)).toBe(true);
    await evictDurableObject(guardOf(env, apiKey.id));
    expect(await status(key)).toBe(429);
    expect((await call("/v1/me/key", { auth: key })).headers.get("ratelimit-remaining")).toBe("0");
  });
});

describe("credits", () => {
  it("spends exactly the balance under concurrency, then answers 402 credits_exhausted", async () => {
    const { key, apiKey } = await partnerWithKey({ credits_remaining: 7 });
    const replies = await Promise.all(Array.from({ length: 20 }, () => call("/v1/me/key", { auth: key })));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(7);
    const refused = replies.filter((r) => r.status === 402);
    expect(refused).toHaveLength(13);
    expect(refused[0]!.body.code).toBe("credits_exhausted");
    const balances = replies.filter((r) => r.status === 200).map((r) => r.body.credits_remaining).sort();
    expect(balances).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // The operator tops up: usable on the next request.
    await call(`/v1/keys/${apiKey.id}`, { method: "PATCH", body: { credits_remaining: 2 } });
    expect((await call("/v1/me/key", { auth: key })).body.credits_remaining).toBe(1);
  });

  it("does not spend credits on rate-limited requests", async () => {
    const { key, apiKey } = await partnerWithKey({ rate_limit_tier: "tiny", credits_remaining: 100 });
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push(await status(key));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    const credits = await runInDurableObject(guardOf(env, apiKey.id), (_: KeyGuard, state) => state.storage.kv.get<number>("credits"));
    expect(credits).toBe(95);
  });
});

describe("usage flush", () => {
  it("writes last_used_at and the credit balance to D1 from the alarm, not per request", async () => {
    const { key, apiKey } = await partnerWithKey({ credits_remaining: 50 });
    for (let i = 0; i < 3; i++) expect(await status(key)).toBe(200);
    const before = await env.DB.prepare("SELECT last_used_at, credits_remaining FROM api_keys WHERE id = ?1").bind(apiKey.id).first();
    expect(before).toEqual({ last_used_at: null, credits_remaining: 50 });

    expect(await runDurableObjectAlarm(guardOf(env, apiKey.id))).toBe(true);
    const after = await env.DB.prepare("SELECT last_used_at, credits_remaining FROM api_keys WHERE id = ?1").bind(apiKey.id).first<{ last_used_at: string; credits_remaining: number }>();
    expect(after!.credits_remaining).toBe(47);
    expect(Date.parse(after!.last_used_at)).toBeGreaterThan(Date.now() - 60_000);
    expect((await call(`/v1/keys/${apiKey.id}`)).body.last_used_at).toBe(after!.last_used_at);
  });

  it("schedules the next flush no sooner than a minute after the last", async () => {
    const { key, apiKey } = await partnerWithKey();
    await status(key);
    const stub = guardOf(env, apiKey.id);
    await runDurableObjectAlarm(stub);
    await status(key);
    const alarmAt = await runInDurableObject(stub, (_: KeyGuard, state) => state.storage.getAlarm());
    expect(alarmAt).toBeGreaterThanOrEqual(Date.now() + 55_000);
  });
});
