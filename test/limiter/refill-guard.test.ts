import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { guardOf } from "../../src/limiter/client";
import { manualClock } from "../clock";
import { call, createKey, createPartner, env, storageCalls } from "../helpers";

const MINUTE = 60_000;
const DAY = 86_400_000;
const me = (key: string) => call("/v1/me/key", { auth: key });
const burst = async (key: string, n: number) => (await Promise.all(Array.from({ length: n }, () => me(key)))).map((r) => r.status);
const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

describe("credit refills on keys", () => {
  it("starts a key given a refill at its amount, and tops it up once at the next UTC midnight however many requests meet it", async () => {
    const clock = manualClock(Date.UTC(2027, 0, 15, 23, 50));
    const partner = await createPartner();
    const { key, api_key: apiKey } = await createKey(partner.id, { credits_refill: { amount: 3, interval: "day" } });
    expect(apiKey).toMatchObject({ credits_remaining: 3, credits_refill: { amount: 3, interval: "day" }, credits_refilled_at: "2027-01-15T23:50:00.000Z" });
    expect(count(await burst(key, 5), 200)).toBe(3);
    // Still before the boundary: nothing comes back.
    clock.advance(9 * MINUTE);
    expect((await me(key)).status).toBe(402);

    clock.advance(MINUTE);
    const atBoundary = await burst(key, 10);
    expect(count(atBoundary, 200)).toBe(3);
    expect(count(atBoundary, 402)).toBe(7);
    clock.advance(DAY - 1);
    expect((await me(key)).status, "one millisecond before the next midnight").toBe(402);
    clock.advance(1);
    expect((await me(key)).body.credits_remaining).toBe(2);

    // The flush writes the refill's time with the balance.
    await runDurableObjectAlarm(guardOf(env, apiKey.id));
    const stored = (await call(`/v1/keys/${apiKey.id}`)).body;
    expect(stored).toMatchObject({ credits_remaining: 2, credits_refilled_at: "2027-01-17T00:00:00.000Z" });
  });

  it("shows each refill in the key's and its partner's usage data as the credits it added", async () => {
    const clock = manualClock(Date.UTC(2027, 0, 15, 23, 30));
    const partner = await createPartner();
    const { key, api_key: apiKey } = await createKey(partner.id, { credits_remaining: 1, credits_refill: { amount: 4, interval: "day" } });
    expect((await burst(key, 2)).sort()).toEqual([200, 402]);
    clock.advance(30 * MINUTE); // Jan 16: 0 → 4
    expect(count(await burst(key, 3), 200)).toBe(3);
    clock.advance(DAY); // Jan 17: 1 → 4
    expect((await me(key)).status).toBe(200);
    const range = "granularity=day&from=2027-01-15T00:00:00Z&to=2027-01-18T00:00:00Z";
    const live = (await call(`/v1/keys/${apiKey.id}/usage?${range}`)).body.data;
    expect(live.map((b: { credits_refilled: number }) => b.credits_refilled), "live, before any flush").toEqual([0, 4, 3]);
    await runDurableObjectAlarm(guardOf(env, apiKey.id));
    const stored = (await call(`/v1/partners/${partner.id}/usage?${range}`)).body.data;
    expect(stored.map((b: { credits_refilled: number; admitted: number }) => [b.admitted, b.credits_refilled])).toEqual([[1, 0], [3, 4], [1, 3]]);
  });

  it("never lowers a balance above the refill's amount", async () => {
    const clock = manualClock(Date.UTC(2027, 0, 15, 12));
    const partner = await createPartner();
    const { key } = await createKey(partner.id, { credits_remaining: 10, credits_refill: { amount: 3, interval: "day" } });
    expect((await me(key)).body.credits_remaining).toBe(9);
    clock.advance(DAY);
    expect((await me(key)).body.credits_remaining).toBe(8);
  });

  it("refills monthly on day_of_month, a day past the month's end meaning its last day", async () => {
    const clock = manualClock(Date.UTC(2027, 1, 10));
    const partner = await createPartner();
    const { key } = await createKey(partner.id, { credits_refill: { amount: 1, interval: "month", day_of_month: 31 } });
    expect((await me(key)).status).toBe(200);
    expect((await me(key)).status).toBe(402);
    clock.advance(17 * DAY); // 2027-02-27
    expect((await me(key)).status).toBe(402);
    clock.advance(DAY); // 2027-02-28, February's last day
    expect((await me(key)).status).toBe(200);
    clock.advance(30 * DAY); // 2027-03-30
    expect((await me(key)).status).toBe(402);
    clock.advance(DAY); // 2027-03-31
    expect((await me(key)).status).toBe(200);
  });

  it("takes a refill the operator sets on the next request, its schedule starting then", async () => {
    const clock = manualClock(Date.UTC(2027, 0, 15, 12));
    const partner = await createPartner();
    const { key, api_key: apiKey } = await createKey(partner.id, { credits_remaining: 1 });
    expect((await me(key)).status).toBe(200);
    const patched = await call(`/v1/keys/${apiKey.id}`, { method: "PATCH", body: { credits_refill: { amount: 2, interval: "day" } } });
    expect(patched.body).toMatchObject({ credits_refill: { amount: 2, interval: "day" }, credits_refilled_at: "2027-01-15T12:00:00.000Z" });
    expect((await me(key)).status, "no top-up before the next boundary").toBe(402);
    clock.advance(12 * 3_600_000);
    expect(count(await burst(key, 4), 200)).toBe(2);
    // Removing it stops the top-ups.
    await call(`/v1/keys/${apiKey.id}`, { method: "PATCH", body: { credits_refill: null } });
    clock.advance(DAY);
    expect((await me(key)).status).toBe(402);
  });

  it("starts an unlimited key given a refill at the refill's amount, spent from its next request", async () => {
    manualClock(Date.UTC(2027, 0, 15, 12));
    const partner = await createPartner();
    const { key, api_key: apiKey } = await createKey(partner.id);
    expect((await me(key)).body.credits_remaining).toBeNull();
    const patched = await call(`/v1/keys/${apiKey.id}`, { method: "PATCH", body: { credits_refill: { amount: 3, interval: "month", day_of_month: 15 } } });
    expect(patched.body).toMatchObject({ credits_remaining: 3, credits_refilled_at: "2027-01-15T12:00:00.000Z" });
    expect(count(await burst(key, 5), 200)).toBe(3);
  });

  it("keeps the warm hot path of a refilling key at one guard call and no D1 or KV", async () => {
    manualClock(Date.UTC(2027, 0, 15, 12));
    const partner = await createPartner();
    const { key } = await createKey(partner.id, { credits_refill: { amount: 100, interval: "day" } });
    await me(key);
    const warm = await me(key);
    expect(warm.status).toBe(200);
    expect(storageCalls(warm)).toEqual({ do: 1 });
  });
});
