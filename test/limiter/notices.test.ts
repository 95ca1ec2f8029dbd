import { runDurableObjectAlarm } from "cloudflare:test";
import fc from "fast-check";
import { lostAnswersD1 } from "../db/lost-answers";
import { describe, expect, it } from "vitest";
import { guardOf } from "../../src/limiter/client";
import { GuardNotices, type StoredNoticeState } from "../../src/limiter/guard-notices";
import { flushUsage } from "../../src/usage/flush";
import { UsageTally, type PendingNotice } from "../../src/usage/tally";
import { manualClock } from "../clock";
import { call, env, eventually, me, partnerWithKey, storageCalls } from "../helpers";

// DESIGN §8: credits.low and rate_limit.exceeded come from the key's guard, decided without a
// storage call of their own and written to D1 with its usage flush, each exactly once.

interface Row {
  id: string;
  type: string;
  partner_id: string;
  payload: string;
  dispatched_at: string | null;
}

/** The key's notices of `type` in D1, oldest first: their payloads' `data`. */
async function noticeData(keyId: string, type: string): Promise<Record<string, unknown>[]> {
  const { results } = await env.DB.prepare("SELECT * FROM events WHERE subject_id = ?1 AND type = ?2 ORDER BY seq").bind(keyId, type).all<Row>();
  return results.map((row) => (JSON.parse(row.payload) as { data: Record<string, unknown> }).data);
}

/** Runs the guard's pending flush, as its alarm would. */
const flush = (keyId: string) => runDurableObjectAlarm(guardOf(env, keyId));

/** Calls `GET /v1/me/key` until it answers `status`; returns how many calls that took. */
async function until(key: string, status: number, max = 50): Promise<number> {
  for (let i = 1; i <= max; i++) if ((await me(key)).status === status) return i;
  throw new Error(`no ${status} in ${max} calls`);
}

describe("rate_limit.exceeded", () => {
  it("is written once for a window however often the key is refused in it, and again in the next window", async () => {
    const clock = manualClock();
    const { key, apiKey, partner } = await partnerWithKey({ rate_limit_tier: "tiny" });
    expect(await until(key, 429)).toBe(6);
    // Past the isolate's memory of the full window: the guard refuses again itself.
    clock.advance(2_000);
    expect((await me(key)).status).toBe(429);
    expect(await noticeData(apiKey.id, "rate_limit.exceeded"), "not before the flush").toEqual([]);
    expect(await flush(apiKey.id)).toBe(true);
    expect(await noticeData(apiKey.id, "rate_limit.exceeded")).toEqual([{ limit: 5, window_seconds: 60, name: "tiny" }]);
    const row = await env.DB.prepare("SELECT id, partner_id, dispatched_at FROM events WHERE subject_id = ?1 AND type = 'rate_limit.exceeded'").bind(apiKey.id).first<Row>();
    expect(row!.partner_id).toBe(partner.id);
    const fannedOut = () => env.DB.prepare("SELECT dispatched_at FROM events WHERE id = ?1").bind(row!.id).first<{ dispatched_at: string | null }>();
    expect((await eventually(fannedOut, (r) => r?.dispatched_at !== null))?.dispatched_at, "fanned out by the queue consumer").not.toBeNull();

    clock.advance(61_000);
    expect(await until(key, 429)).toBeGreaterThan(1);
    clock.advance(2_000);
    expect((await me(key)).status).toBe(429);
    await flush(apiKey.id);
    expect(await noticeData(apiKey.id, "rate_limit.exceeded")).toHaveLength(2);
  });
});

describe("credits.low", () => {
  it("is written once when the balance crosses 10% of the operator's, again at 0, and re-armed by a new balance", async () => {
    manualClock();
    const { key, apiKey } = await partnerWithKey({ credits_remaining: 20 });
    for (let i = 0; i < 17; i++) expect((await me(key)).status).toBe(200); // 3 left: above 2
    await flush(apiKey.id);
    expect(await noticeData(apiKey.id, "credits.low")).toEqual([]);
    expect((await me(key)).status).toBe(200); // 2 left: at 10%
    expect((await me(key)).status).toBe(200); // 1 left
    await flush(apiKey.id);
    expect(await noticeData(apiKey.id, "credits.low")).toEqual([{ credits_remaining: 2, threshold: 2 }]);
    expect((await me(key)).status).toBe(200); // 0 left
    expect((await me(key)).status).toBe(402);
    await flush(apiKey.id);
    expect(await noticeData(apiKey.id, "credits.low")).toEqual([
      { credits_remaining: 2, threshold: 2 },
      { credits_remaining: 0, threshold: 2 },
    ]);

    expect((await call(`/v1/keys/${apiKey.id}`, { method: "PATCH", body: { credits_remaining: 30 } })).status).toBe(200);
    for (let i = 0; i < 26; i++) expect((await me(key)).status).toBe(200); // 4 left: above 3
    await flush(apiKey.id);
    expect(await noticeData(apiKey.id, "credits.low")).toHaveLength(2);
    expect((await me(key)).status).toBe(200); // 3 left: at 10% of the new balance
    await flush(apiKey.id);
    expect((await noticeData(apiKey.id, "credits.low")).at(-1)).toEqual({ credits_remaining: 3, threshold: 3 });
  });

  it("adds no storage call to a verified request while a notice is pending", async () => {
    manualClock();
    const { key, apiKey } = await partnerWithKey({ credits_remaining: 10 });
    await me(key);
    expect(storageCalls(await me(key)), "warm").toEqual({ do: 1 }); // 8 left
    expect(storageCalls(await me(key)), "the request that decides the notice").toEqual({ do: 1 }); // 7
    for (let i = 0; i < 6; i++) await me(key); // 1 left: pending
    const pending = await me(key); // 0 left: another one pending
    expect(pending.status).toBe(200);
    expect(storageCalls(pending)).toEqual({ do: 1 });
    expect(storageCalls(await me(key)), "402 with notices pending").toEqual({ do: 1 });
    await flush(apiKey.id);
    expect((await noticeData(apiKey.id, "credits.low")).map((d) => d.credits_remaining)).toEqual([1, 0]);
  });
});

describe("the flush of notices", () => {
  it("writes a notice exactly once when the first try's answer is lost, and reports it for dispatch both times it is known", async () => {
    const { partner, apiKey } = await partnerWithKey();
    const tally = new UsageTally();
    const notice: PendingNotice = { id: `evt_test${crypto.randomUUID().slice(0, 8)}`, type: "credits.low", at: Date.now(), data: { credits_remaining: 1, threshold: 1 } };
    tally.notify(notice);
    const state = { keyId: apiKey.id, partnerId: undefined, usedAt: undefined, credits: null };
    const answerLost = lostAnswersD1(1).db;
    await expect(flushUsage(answerLost, state, tally, () => {})).rejects.toThrow(/answer was lost/);
    expect(await flushUsage(answerLost, state, tally, () => {})).toEqual([notice.id]);
    expect(await flushUsage(answerLost, state, tally, () => {}), "nothing left").toBeNull();
    const { results } = await env.DB.prepare("SELECT id, partner_id FROM events WHERE subject_id = ?1 AND type = 'credits.low'").bind(apiKey.id).all<Row>();
    expect(results).toEqual([{ id: notice.id, partner_id: partner.id }]);
  });

  it("keeps pending and in-flight notices across a restart of the guard (its stored tally)", () => {
    const tally = new UsageTally();
    const a: PendingNotice = { id: "evt_a", type: "rate_limit.exceeded", at: 1, data: { limit: 5, window_seconds: 60, name: "tiny" } };
    const b: PendingNotice = { id: "evt_b", type: "credits.low", at: 2, data: { credits_remaining: 0, threshold: 1 } };
    tally.notify(a);
    expect(tally.takeForFlush()?.notices).toEqual([a]);
    tally.notify(b);
    const restored = UsageTally.from(JSON.parse(JSON.stringify(tally.toStorage())));
    expect(restored.takeForFlush()?.notices, "the retry re-sends the same segment").toEqual([a]);
    restored.flushed(1);
    expect(restored.takeForFlush()?.notices).toEqual([b]);
  });
});

/** The guard's notice rules, with a tally that records what they queue. */
function rules(stored?: StoredNoticeState) {
  const queued: PendingNotice[] = [];
  return { notices: new GuardNotices(stored, { notify: (n) => queued.push(n) }), queued };
}

describe("the guard's notice rules", () => {
  it("credits.low: for any spends from any balance, at most one notice above 0 (at or under 10%) and one at 0, and one whenever 10% is reached", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 60 }), (base, costs) => {
        const { notices, queued } = rules();
        notices.creditsSet(base);
        let credits = base;
        for (const cost of costs) {
          if (cost > credits) continue; // refused with 402: nothing spent
          credits -= cost;
          notices.spent(credits, cost, 0);
        }
        const threshold = Math.floor(base / 10);
        const remaining = queued.map((n) => n.data.credits_remaining as number);
        expect(remaining.filter((c) => c > 0).length).toBeLessThanOrEqual(1);
        expect(remaining.filter((c) => c === 0).length).toBeLessThanOrEqual(1);
        expect(remaining.every((c) => c <= threshold)).toBe(true);
        expect(queued.every((n) => n.type === "credits.low" && n.data.threshold === threshold)).toBe(true);
        if (credits <= threshold) expect(queued.length).toBeGreaterThan(0);
        if (credits === 0) expect(remaining.at(-1)).toBe(0);
      }),
    );
  });

  it("rate_limit.exceeded: for any refusal times, notices at least a window apart and every refusal within a window of one", () => {
    const limit = { name: "minute", limit: 10, window_seconds: 60 };
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 600_000 }), { maxLength: 80 }), (times) => {
        const { notices, queued } = rules();
        const sorted = [...times].sort((a, b) => a - b);
        for (const t of sorted) notices.refused(limit, t);
        const at = queued.map((n) => n.at);
        for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(60_000);
        for (const t of sorted) expect(at.some((a) => a <= t && t - a < 60_000)).toBe(true);
      }),
    );
  });

  it("a guard that never saw the operator's balance takes the balance before its first spend as the base", () => {
    const { notices, queued } = rules({ stage: 0, exceeded: {} });
    notices.spent(99, 1, 0); // base 100
    notices.spent(11, 88, 0);
    expect(queued).toHaveLength(0);
    notices.spent(10, 1, 0);
    expect(queued.map((n) => n.data)).toEqual([{ credits_remaining: 10, threshold: 10 }]);
  });
});
