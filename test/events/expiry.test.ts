import { createExecutionContext, createScheduledController } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { remindExpiring } from "../../src/events/expiry";
import { manualClock } from "../clock";
import { call, createKey, createPartner, env, eventually } from "../helpers";

// DESIGN §8: the Cron Trigger writes key.expiring 7 days and 1 day before expires_at, then
// key.expired, each once, with real D1 and the real scheduled handler.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

const runCron = async () => {
  await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, createExecutionContext());
};

interface NoticeRow {
  id: string;
  type: string;
  partner_id: string;
  payload: string;
  reacted_at: string | null;
  dispatched_at: string | null;
}

/** The key's expiry notices, oldest first, as `type:days` (`key.expired` without days). */
async function notices(keyId: string): Promise<string[]> {
  const { results } = await env.DB.prepare("SELECT * FROM events WHERE subject_id = ?1 AND type IN ('key.expiring', 'key.expired') ORDER BY seq")
    .bind(keyId)
    .all<NoticeRow>();
  return results.map((row) => {
    const days = (JSON.parse(row.payload) as { data: { days?: number } }).data.days;
    return days === undefined ? row.type : `${row.type}:${days}`;
  });
}

/** A key expiring `ms` after the (manual) clock's now. */
async function keyExpiringIn(clock: { now(): number }, ms: number, partnerId?: string) {
  const partner = partnerId ?? (await createPartner()).id;
  const { api_key } = await createKey(partner, { expires_at: iso(clock.now() + ms) });
  return api_key;
}

describe("expiry notices from the cron", () => {
  it("writes one key.expiring (7 days) for a key expiring in 6 days, however often the cron runs", async () => {
    const clock = manualClock(Date.now());
    const key = await keyExpiringIn(clock, 6 * DAY);
    await runCron();
    await runCron();
    clock.advance(60_000);
    await runCron();
    expect(await notices(key.id)).toEqual(["key.expiring:7"]);
    const row = await env.DB.prepare("SELECT * FROM events WHERE subject_id = ?1 AND type = 'key.expiring'").bind(key.id).first<NoticeRow>();
    expect(row!.partner_id).toBe(key.partner_id);
    expect(row!.reacted_at, "a notice has no reactions").not.toBeNull();
    const fannedOut = () => env.DB.prepare("SELECT dispatched_at FROM events WHERE id = ?1").bind(row!.id).first<{ dispatched_at: string | null }>();
    expect((await eventually(fannedOut, (r) => r?.dispatched_at !== null))?.dispatched_at, "fanned out by the queue consumer").not.toBeNull();
    expect(JSON.parse(row!.payload)).toEqual({ data: { days: 7, expires_at: key.expires_at } });
  });

  it("follows with the 1-day reminder at 23 h before expiry and key.expired once it has passed, each once", async () => {
    const start = Date.now();
    const clock = manualClock(start);
    const key = await keyExpiringIn(clock, 6 * DAY);
    await runCron();
    clock.advance(5 * DAY + HOUR); // 23 h left
    await runCron();
    await runCron();
    expect(await notices(key.id)).toEqual(["key.expiring:7", "key.expiring:1"]);
    clock.advance(23 * HOUR);
    await runCron();
    await runCron();
    expect(await notices(key.id)).toEqual(["key.expiring:7", "key.expiring:1", "key.expired"]);
    const expired = await env.DB.prepare("SELECT payload FROM events WHERE subject_id = ?1 AND type = 'key.expired'").bind(key.id).first<{ payload: string }>();
    expect(JSON.parse(expired!.payload)).toEqual({ data: { expires_at: key.expires_at } });
  });

  it("gives a key first seen within a day of expiry one reminder, not two", async () => {
    const clock = manualClock(Date.now());
    const key = await keyExpiringIn(clock, 20 * HOUR);
    await runCron();
    clock.advance(21 * HOUR);
    await runCron();
    expect(await notices(key.id)).toEqual(["key.expiring:1", "key.expired"]);
  });

  it("writes nothing for a key further than 7 days from expiry, or without one", async () => {
    const clock = manualClock(Date.now());
    const far = await keyExpiringIn(clock, 8 * DAY);
    const partner = await createPartner();
    const never = (await createKey(partner.id)).api_key;
    await runCron();
    expect(await notices(far.id)).toEqual([]);
    expect(await notices(never.id)).toEqual([]);
  });

  it("writes each notice once when two runs overlap", async () => {
    const clock = manualClock(Date.now());
    const key = await keyExpiringIn(clock, 3 * DAY);
    const runs = await Promise.all([remindExpiring(env), remindExpiring(env)]);
    expect(await notices(key.id)).toEqual(["key.expiring:7"]);
    const { results } = await env.DB.prepare("SELECT id FROM events WHERE subject_id = ?1 AND type = 'key.expiring'").bind(key.id).all<{ id: string }>();
    expect(runs.flat().filter((id) => id === results[0]!.id), "reported written by one run only").toHaveLength(1);
  });

  it("reminds a key again after a PATCH moves its expiry, and not after one that sets the same expiry", async () => {
    const clock = manualClock(Date.now());
    const key = await keyExpiringIn(clock, 6 * DAY);
    await runCron();
    const same = await call(`/v1/keys/${key.id}`, { method: "PATCH", body: { expires_at: key.expires_at } });
    expect(same.status).toBe(200);
    await runCron();
    expect(await notices(key.id)).toEqual(["key.expiring:7"]);

    const renewed = await call(`/v1/keys/${key.id}`, { method: "PATCH", body: { expires_at: iso(clock.now() + 5 * DAY) } });
    expect(renewed.status).toBe(200);
    await runCron();
    expect(await notices(key.id)).toEqual(["key.expiring:7", "key.expiring:7"]);
    const second = await env.DB.prepare("SELECT payload FROM events WHERE subject_id = ?1 AND type = 'key.expiring' ORDER BY seq DESC LIMIT 1").bind(key.id).first<{ payload: string }>();
    expect(JSON.parse(second!.payload).data.expires_at).toBe(renewed.body.expires_at);
  });

  it("writes nothing for revoked keys, nor for keys of a revoked partner", async () => {
    const clock = manualClock(Date.now());
    const revoked = await keyExpiringIn(clock, 2 * DAY);
    expect((await call(`/v1/keys/${revoked.id}/revoke`, { method: "POST" })).status).toBe(200);
    const partner = await createPartner();
    const orphan = await keyExpiringIn(clock, 2 * DAY, partner.id);
    expect((await call(`/v1/partners/${partner.id}`, { method: "PATCH", body: { status: "revoked" } })).status).toBe(200);
    await runCron();
    clock.advance(3 * DAY);
    await runCron();
    expect(await notices(revoked.id)).toEqual([]);
    expect(await notices(orphan.id)).toEqual([]);
  });

  it("writes, for any sequence of cron times, each stage's notice at most once and exactly the stages a run fell in", async () => {
    const start = Date.now();
    const partner = await createPartner();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: HOUR, max: 10 * DAY }),
        fc.array(fc.integer({ min: 0, max: 12 * DAY }), { minLength: 1, maxLength: 8 }),
        async (expiresIn, offsets) => {
          const clock = manualClock(start);
          const { api_key } = await createKey(partner.id, { expires_at: iso(start + expiresIn) });
          const expiresAt = Date.parse(api_key.expires_at);
          // The model: the stage a run falls in is written unless it or a later one was.
          let sent = 0;
          const expected: string[] = [];
          for (const t of [...offsets].sort((a, b) => a - b).map((o) => start + o)) {
            clock.advance(t - clock.now());
            const [bit, marks, notice] =
              t >= expiresAt ? [4, 7, "key.expired"] : t >= expiresAt - DAY ? [2, 3, "key.expiring:1"] : t >= expiresAt - 7 * DAY ? [1, 1, "key.expiring:7"] : [0, 0, ""];
            if (bit && !(sent & bit)) {
              expected.push(notice);
              sent |= marks;
            }
            await remindExpiring(env);
          }
          expect(await notices(api_key.id)).toEqual(expected);
          // Out of the next runs' way.
          await call(`/v1/keys/${api_key.id}/revoke`, { method: "POST" });
        },
      ),
      { numRuns: 15 },
    );
  });
});
