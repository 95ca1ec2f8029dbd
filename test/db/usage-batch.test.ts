import { lostAnswersD1 } from "./lost-answers";
import { describe, expect, it } from "vitest";
import { USAGE_BATCH_STATEMENTS, writeUsageBatch, type UsageEntry } from "../../src/db/usage-batch";
import { flushUsage } from "../../src/usage/flush";
import { UsageTally } from "../../src/usage/tally";
import { createKey, createPartner, env, partnerWithKey } from "../helpers";

const T0 = Date.parse("2026-11-27T10:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

/** The real D1 binding, counting the statements of each batch; `lose` answers are lost after the commit. */
const countingD1 = (lose = 0) => lostAnswersD1(lose);

/** An entry of `admitted` requests in the minute of T0, with its hour and day. */
function entry(keyId: string, seq: number, admitted: number, notices: UsageEntry["notices"] = []): UsageEntry {
  const buckets: UsageEntry["buckets"] = [
    ["minute", iso(T0), admitted, 0, 0, 1],
    ["hour", iso(T0), admitted, 0, 0, 1],
    ["day", iso(Date.parse("2026-11-27T00:00:00Z")), admitted, 0, 0, 1],
  ];
  return { keyId, usedAt: iso(T0), credits: null, refilledAt: null, seq, buckets, notices };
}

const buckets = async (keyIds: string[]) =>
  (
    await env.DB.prepare(
      `SELECT key_id, granularity, admitted, refused FROM usage_buckets WHERE key_id IN (SELECT value FROM json_each(?1)) ORDER BY key_id, granularity`,
    )
      .bind(JSON.stringify(keyIds))
      .all()
  ).results;

async function keysOfOnePartner(n: number) {
  const partner = await createPartner();
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await createKey(partner.id)).api_key.id);
  return { partner, ids };
}

describe("the multi-row usage batch", () => {
  it("writes the flushes of many keys with the same constant number of statements as one key's", async () => {
    const { partner, ids } = await keysOfOnePartner(40);
    const { db, batches } = countingD1();
    await writeUsageBatch(db, [entry(ids[0]!, 1, 2)]);
    const commits = await writeUsageBatch(db, ids.slice(1).map((id, i) => entry(id, 1, i + 1)));
    expect(batches, "one batch each, of the same statements").toEqual([USAGE_BATCH_STATEMENTS, USAGE_BATCH_STATEMENTS]);
    expect(commits).toEqual(ids.slice(1).map((keyId) => ({ keyId, seq: 1 })));
    const rows = await buckets(ids);
    expect(rows).toHaveLength(3 * ids.length);
    for (const [i, id] of ids.entries()) {
      const admitted = i === 0 ? 2 : i;
      expect(rows.filter((r) => r.key_id === id).map((r) => r.admitted), id).toEqual([admitted, admitted, admitted]);
    }
    const { results } = await env.DB.prepare("SELECT DISTINCT usage_buckets.partner_id, last_used_at FROM usage_buckets JOIN api_keys ON api_keys.id = key_id WHERE key_id IN (SELECT value FROM json_each(?1))")
      .bind(JSON.stringify(ids))
      .all();
    expect(results, "each row under the key's partner, and the key's last use written").toEqual([{ partner_id: partner.id, last_used_at: iso(T0) }]);
  });

  it("retried after it committed and lost its answer, counts nothing twice and writes no notice twice", async () => {
    const { ids } = await keysOfOnePartner(3);
    const notice = (id: string) => ({ id, type: "credits.low", at: iso(T0), payload: JSON.stringify({ data: { credits_remaining: 1, threshold: 1 } }) });
    const noticeIds = ids.map((_, i) => `evt_batch${crypto.randomUUID().slice(0, 8)}${i}`);
    const entries = ids.map((id, i) => entry(id, 1, 5, [notice(noticeIds[i]!)]));
    const { db } = countingD1(1);
    await expect(writeUsageBatch(db, entries)).rejects.toThrow(/answer was lost/);
    expect(await writeUsageBatch(db, entries), "D1 holds every segment").toEqual(ids.map((keyId) => ({ keyId, seq: 1 })));
    expect((await buckets(ids)).map((r) => r.admitted)).toEqual(Array(9).fill(5));
    const { results } = await env.DB.prepare("SELECT id, type, partner_id, subject_id, occurred_at, payload, reacted_at FROM events WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY id")
      .bind(JSON.stringify(noticeIds))
      .all();
    expect(results).toHaveLength(3);
    expect(results[0]).toMatchObject({ type: "credits.low", occurred_at: iso(T0), reacted_at: iso(T0), payload: '{"data":{"credits_remaining":1,"threshold":1}}' });
  });

  it("tells a guard whose sequence is behind D1's to skip ahead, writing nothing of the stale segment", async () => {
    const { apiKey } = await partnerWithKey();
    await env.DB.prepare("UPDATE api_keys SET usage_seq = 7 WHERE id = ?1").bind(apiKey.id).run();
    // A guard whose storage was lost starts again at seq 1.
    const tally = new UsageTally();
    tally.count(T0, "admitted");
    const state = { keyId: apiKey.id, partnerId: undefined, usedAt: T0, credits: null };
    expect(await flushUsage(env.DB, state, tally, () => {})).toEqual([]);
    expect(await buckets([apiKey.id]), "the stale segment is not written").toEqual([]);
    expect(tally.live().map((s) => s.seq), "kept, to be written after D1's").toEqual([8]);
    await flushUsage(env.DB, state, tally, () => {});
    expect((await buckets([apiKey.id])).map((r) => r.admitted)).toEqual([1, 1, 1]);
    expect(tally.hasPending).toBe(false);
  });

  it("refuses two entries of one key in a batch, and drops the keys D1 no longer holds", async () => {
    const { apiKey } = await partnerWithKey();
    await expect(writeUsageBatch(env.DB, [entry(apiKey.id, 1, 1), entry(apiKey.id, 2, 1)])).rejects.toThrow(/two entries of one key/);
    expect(await writeUsageBatch(env.DB, [entry("gone-key", 1, 1), entry(apiKey.id, 1, 1)])).toEqual([
      { keyId: "gone-key", seq: null },
      { keyId: apiKey.id, seq: 1 },
    ]);
    expect(await buckets(["gone-key"])).toEqual([]);
  });
});
