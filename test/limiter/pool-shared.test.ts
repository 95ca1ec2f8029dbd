import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { lostAnswersD1 } from "../db/lost-answers";
import { describe, expect, it } from "vitest";
import { poolOf } from "../../src/limiter/client";
import { SharedBudget } from "../../src/limiter/pool-shared";
import { toEvent } from "../../src/db/outbox";
import { webhookData } from "../../src/events/webhooks/body";
import { manualClock } from "../clock";
import { call, createKey, createPartner, env, me } from "../helpers";

// DESIGN §8 and §10: a partner's shared balance has its own credits.low notices (about the
// partner) and its refills show in the partner's usage data, each written exactly once.

const DAY = 86_400_000;
const flushPool = (partnerId: string) => runDurableObjectAlarm(poolOf(env, partnerId));

async function partnerNotices(partnerId: string) {
  const { results } = await env.DB.prepare("SELECT id, subject_id, payload FROM events WHERE partner_id = ?1 AND type = 'credits.low' ORDER BY seq")
    .bind(partnerId)
    .all<{ id: string; subject_id: string; payload: string }>();
  return results.map((row) => ({ id: row.id, subject: row.subject_id, data: (JSON.parse(row.payload) as { data: unknown }).data }));
}

const usage = (path: string) => call(`${path}/usage?granularity=day&from=2027-03-01T00:00:00Z&to=2027-03-04T00:00:00Z`);
const refilledByDay = (body: { data: { credits_refilled: number }[] }) => body.data.map((b) => b.credits_refilled);

describe("a partner's shared balance", () => {
  it("writes credits.low about the partner once at 10% of the operator's balance and once at 0, re-armed by a new balance", async () => {
    manualClock(Date.UTC(2027, 2, 1, 12));
    const partner = await createPartner({ credits_remaining: 20 });
    const keys = [(await createKey(partner.id)).key, (await createKey(partner.id)).key];
    for (let i = 0; i < 17; i++) expect((await me(keys[i % 2]!)).status).toBe(200); // 3 left: above 2
    await flushPool(partner.id);
    expect(await partnerNotices(partner.id)).toEqual([]);
    for (let i = 0; i < 3; i++) expect((await me(keys[i % 2]!)).status).toBe(200); // 2, 1, 0 left
    expect((await me(keys[0]!)).status).toBe(402);
    await flushPool(partner.id);
    const notices = await partnerNotices(partner.id);
    expect(notices.map((n) => n.data)).toEqual([
      { credits_remaining: 2, threshold: 2 },
      { credits_remaining: 0, threshold: 2 },
    ]);
    expect(notices.every((n) => n.subject === partner.id), "about the partner, not a key").toBe(true);
    const event = await env.DB.prepare("SELECT * FROM events WHERE id = ?1").bind(notices[0]!.id).first();
    const body = await webhookData(env, toEvent(event!));
    expect(body, "its webhook body carries the partner as the API serializes it").toMatchObject({ partner: { id: partner.id }, credits_remaining: 2, threshold: 2 });
    expect(body).not.toHaveProperty("api_key");
    expect((await call(`/v1/partners/${partner.id}`)).body.credits_remaining, "the flush wrote the balance too").toBe(0);

    expect((await call(`/v1/partners/${partner.id}`, { method: "PATCH", body: { credits_remaining: 30 } })).status).toBe(200);
    for (let i = 0; i < 27; i++) expect((await me(keys[i % 2]!)).status).toBe(200); // 3 left: at 10% of 30
    await flushPool(partner.id);
    expect((await partnerNotices(partner.id)).map((n) => n.data)).toHaveLength(3);
    expect((await partnerNotices(partner.id)).at(-1)!.data).toEqual({ credits_remaining: 3, threshold: 3 });
  });

  it("shows its refills in the partner's usage data, once per boundary, and not in its keys'", async () => {
    const clock = manualClock(Date.UTC(2027, 2, 1, 23, 30));
    const partner = await createPartner({ credits_remaining: 1, credits_refill: { amount: 5, interval: "day" } });
    const { key, api_key: apiKey } = await createKey(partner.id);
    expect((await me(key)).status).toBe(200); // 0 left
    clock.advance(30 * 60_000); // 2027-03-02T00:00Z: topped up to 5
    expect((await Promise.all(Array.from({ length: 7 }, () => me(key)))).filter((r) => r.status === 200)).toHaveLength(5);
    clock.advance(DAY); // 03-03: topped up to 5 from 0 again
    expect((await me(key)).status).toBe(200);
    await flushPool(partner.id);

    expect(refilledByDay((await usage(`/v1/partners/${partner.id}`)).body)).toEqual([0, 5, 5]);
    expect((await usage(`/v1/partners/${partner.id}`)).body.data.map((b: { admitted: number }) => b.admitted)).toEqual([1, 5, 1]);
    expect(refilledByDay((await usage(`/v1/keys/${apiKey.id}`)).body), "the key's own balance was never refilled").toEqual([0, 0, 0]);
  });

  it("writes a refill and a notice once when the flush's first answer is lost", async () => {
    const partner = await createPartner();
    const { version } = (await env.DB.prepare("SELECT version FROM partners WHERE id = ?1").bind(partner.id).first<{ version: number }>())!;
    const now = Date.UTC(2027, 2, 2, 0, 5);
    const answerLost = lostAnswersD1(1).db;
    const stub = env.KEY_GUARD.get(env.KEY_GUARD.idFromName(`shared-test-${crypto.randomUUID()}`));
    await runInDurableObject(stub, async (_instance, state) => {
      const shared = new SharedBudget(state.storage.kv);
      shared.load(10, null);
      shared.refill({ amount: 50, interval: "day" }, now); // +40
      for (let i = 0; i < 45; i++) shared.spend(1, now); // 5 left: at 10% of 50
      await expect(shared.flush(answerLost, partner.id, version)).rejects.toThrow(/answer was lost/);
      const ids = await shared.flush(answerLost, partner.id, version);
      expect(ids, "reported for dispatch once known written").toHaveLength(1);
      expect(await shared.flush(answerLost, partner.id, version), "nothing left").toEqual([]);
    });
    expect((await partnerNotices(partner.id)).map((n) => n.data)).toEqual([{ credits_remaining: 5, threshold: 5 }]);
    const rows = await env.DB.prepare("SELECT granularity, credits_refilled FROM usage_buckets WHERE key_id = ?1 ORDER BY granularity")
      .bind(partner.id)
      .all<{ granularity: string; credits_refilled: number }>();
    expect(rows.results).toEqual([
      { granularity: "day", credits_refilled: 40 },
      { granularity: "hour", credits_refilled: 40 },
      { granularity: "minute", credits_refilled: 40 },
    ]);
  });
});
