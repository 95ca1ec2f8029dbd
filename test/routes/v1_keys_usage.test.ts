import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { guardOf } from "../../src/limiter/client";
import { call, createKey, env, me, partnerWithKey } from "../helpers";

type Bucket = { start: string; admitted: number; rate_limited: number; credits_exhausted: number; refused: number };
const totals = (data: Bucket[]) => ({
  admitted: data.reduce((n, b) => n + b.admitted, 0),
  rate_limited: data.reduce((n, b) => n + b.rate_limited, 0),
  credits_exhausted: data.reduce((n, b) => n + b.credits_exhausted, 0),
  refused: data.reduce((n, b) => n + b.refused, 0),
});
const usageOf = async (keyId: string, query = "") => {
  const res = await call(`/v1/keys/${keyId}/usage${query}`);
  expect(res.status, res.text).toBe(200);
  return res.body as { key_id: string; granularity: string; data: Bucket[] };
};
const INSIDE = { "cf-connecting-ip": "10.1.2.3" };

describe("key usage", () => {
  it("counts every decision exactly under concurrency, live from the key's object before any flush", async () => {
    const { key, apiKey } = await partnerWithKey({ rate_limit_tier: "tiny", allowed_ips: ["10.0.0.0/8"], scopes: [] });
    const statuses = (await Promise.all(Array.from({ length: 12 }, () => me(key, INSIDE)))).map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
    // Refusals of an identified key: an address outside its list, a route needing a scope it lacks.
    for (let i = 0; i < 3; i++) expect((await me(key, { "cf-connecting-ip": "192.168.0.1" })).body.code).toBe("ip_not_allowed");
    const scoped = await call(`/v1/keys/${apiKey.id}`, { auth: key, headers: INSIDE });
    expect([scoped.status, scoped.body.code]).toEqual([403, "insufficient_scope"]);

    const usage = await usageOf(apiKey.id);
    expect(usage).toMatchObject({ key_id: apiKey.id, granularity: "hour" });
    expect(usage.data).toHaveLength(24);
    expect(totals(usage.data)).toEqual({ admitted: 5, rate_limited: 7, credits_exhausted: 0, refused: 4 });
  });

  it("counts requests refused for want of credits", async () => {
    const { key, apiKey } = await partnerWithKey({ credits_remaining: 2 });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await me(key)).status);
    expect(statuses).toEqual([200, 200, 402, 402]);
    expect(totals((await usageOf(apiKey.id)).data)).toMatchObject({ admitted: 2, credits_exhausted: 2 });
  });

  it("stays exact across flushes: what the object writes to D1 is neither lost nor counted twice, and partner usage sums its keys", async () => {
    const { partner, key, apiKey } = await partnerWithKey();
    const other = await createKey(partner.id);
    for (let i = 0; i < 3; i++) await me(key);
    await me(other.key);
    expect(await runDurableObjectAlarm(guardOf(env, apiKey.id))).toBe(true);
    const stored = await env.DB.prepare("SELECT granularity, SUM(admitted) AS n FROM usage_buckets WHERE key_id = ?1 GROUP BY granularity ORDER BY granularity")
      .bind(apiKey.id)
      .all();
    expect(stored.results).toEqual([{ granularity: "day", n: 3 }, { granularity: "hour", n: 3 }, { granularity: "minute", n: 3 }]);
    expect(totals((await usageOf(apiKey.id)).data).admitted).toBe(3);

    await me(key);
    expect(totals((await usageOf(apiKey.id)).data).admitted, "flushed and live counts together").toBe(4);
    await runDurableObjectAlarm(guardOf(env, apiKey.id));
    expect(totals((await usageOf(apiKey.id)).data).admitted).toBe(4);

    // Partner usage comes from D1: the second key counts once its object has flushed.
    const partnerTotal = async () => totals((await call(`/v1/partners/${partner.id}/usage`)).body.data).admitted;
    expect(await partnerTotal()).toBe(4);
    await runDurableObjectAlarm(guardOf(env, other.api_key.id));
    expect(await partnerTotal()).toBe(5);
  });

  it("answers minute, hour and day ranges with every bucket present, and refuses ranges beyond the documented sizes", async () => {
    const { apiKey } = await partnerWithKey();
    const byMinute = await usageOf(apiKey.id, "?granularity=minute&from=2026-11-20T10:00:30Z&to=2026-11-20T10:05:00Z");
    expect(byMinute.data.map((b) => b.start)).toEqual(["00", "01", "02", "03", "04"].map((m) => `2026-11-20T10:${m}:00.000Z`));
    expect(byMinute.data.every((b) => b.admitted === 0 && b.refused === 0)).toBe(true);
    expect((await usageOf(apiKey.id, "?granularity=day&from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z")).data).toHaveLength(31);

    const refuse = async (query: string, path: string) => {
      const res = await call(`/v1/keys/${apiKey.id}/usage${query}`);
      expect([res.status, res.body.code, res.body.errors?.[0]?.path], query).toEqual([400, "validation_error", path]);
    };
    await refuse("?granularity=minute&from=2026-11-20T00:00:00Z&to=2026-11-22T00:00:00Z", "to");
    await refuse("?granularity=hour&from=2026-01-01T00:00:00Z&to=2026-11-01T00:00:00Z", "to");
    await refuse("?from=2026-11-20T10:00:00Z&to=2026-11-20T09:00:00Z", "from");
    await refuse("?granularity=week", "granularity");
    await refuse("?from=yesterday", "from");
  });

  it("is readable by a key with keys:read of the same partner only; anything else is 404 or 403", async () => {
    const { partner, key, apiKey } = await partnerWithKey({ scopes: ["keys:read"] });
    const stranger = await partnerWithKey({ scopes: ["keys:read"] });
    expect((await call(`/v1/keys/${apiKey.id}/usage`, { auth: key })).status).toBe(200);
    expect((await call(`/v1/partners/${partner.id}/usage`, { auth: key })).status).toBe(200);
    for (const path of [`/v1/keys/${stranger.apiKey.id}/usage`, `/v1/partners/${stranger.partner.id}/usage`]) {
      const res = await call(path, { auth: key });
      expect([res.status, res.body.code], path).toEqual([404, "not_found"]);
    }
    const weak = await createKey(partner.id, { scopes: [] });
    expect((await call(`/v1/keys/${apiKey.id}/usage`, { auth: weak.key })).body.code).toBe("insufficient_scope");
  });
});
