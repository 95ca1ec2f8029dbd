import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { UsageEntry } from "../../src/db/usage-batch";
import { guardOf } from "../../src/limiter/client";
import { aggregatorCount, aggregatorName, usageWriterFor } from "../../src/usage/submit";
import { createKey, createPartner, env, me } from "../helpers";

const T0 = Date.parse("2026-11-27T10:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

const entry = (keyId: string, seq: number, admitted: number): UsageEntry => ({
  keyId,
  usedAt: iso(T0),
  credits: null,
  refilledAt: null,
  seq,
  buckets: [["minute", iso(T0), admitted, 0, 0, 0]],
  notices: [],
});

const minuteCount = async (keyId: string) =>
  (await env.DB.prepare("SELECT SUM(admitted) AS n FROM usage_buckets WHERE key_id = ?1 AND granularity = 'minute'").bind(keyId).first<{ n: number | null }>())?.n ?? 0;

describe("the usage aggregator", () => {
  it("resolves each concurrent submitter with its own key's result, D1 holding every one", async () => {
    const partner = await createPartner();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await createKey(partner.id)).api_key.id);
    await env.DB.prepare("UPDATE api_keys SET usage_seq = 9 WHERE id = ?1").bind(ids[2]).run();
    const aggregator = env.USAGE_AGGREGATOR.get(env.USAGE_AGGREGATOR.idFromName(`usage:test-${crypto.randomUUID()}`));
    const answers = await Promise.all([aggregator.submit(entry(ids[0]!, 1, 2)), aggregator.submit(entry(ids[1]!, 3, 4)), aggregator.submit(entry(ids[2]!, 1, 8)), aggregator.submit(entry("gone", 1, 1))]);
    expect(answers).toEqual([
      { keyId: ids[0], seq: 1 },
      { keyId: ids[1], seq: 3 },
      { keyId: ids[2], seq: 9 },
      { keyId: "gone", seq: null },
    ]);
    expect(await Promise.all(ids.map(minuteCount)), "the key behind D1 wrote nothing").toEqual([2, 4, 0]);
  });

  it("carries a key guard's minute flush: its usage reaches D1 through the key's aggregator", async () => {
    const partner = await createPartner();
    const { key, api_key } = await createKey(partner.id);
    for (let i = 0; i < 3; i++) expect((await me(key)).status).toBe(200);
    expect(await runDurableObjectAlarm(guardOf(env, api_key.id))).toBe(true);
    expect(await minuteCount(api_key.id)).toBe(3);
    const row = await env.DB.prepare("SELECT usage_seq, last_used_at FROM api_keys WHERE id = ?1").bind(api_key.id).first<{ usage_seq: number; last_used_at: string | null }>();
    expect(row?.usage_seq).toBe(1);
    expect(row?.last_used_at).not.toBeNull();
  });

  it("is picked by a stable hash of the key id among USAGE_AGGREGATORS (default 8); 0 writes directly", async () => {
    expect(aggregatorCount({})).toBe(8);
    expect(aggregatorCount({ USAGE_AGGREGATORS: "0" })).toBe(0);
    expect(aggregatorCount({ USAGE_AGGREGATORS: "nonsense" })).toBe(8);
    const names = new Set(Array.from({ length: 200 }, (_, i) => aggregatorName(`key${i}`, 8)));
    expect([...names].sort()).toEqual(Array.from({ length: 8 }, (_, i) => `usage:${i}`));
    expect(aggregatorName("kw_abc", 8)).toBe(aggregatorName("kw_abc", 8));

    const partner = await createPartner();
    const { api_key } = await createKey(partner.id);
    const direct = usageWriterFor({ ...env, USAGE_AGGREGATORS: "0" }, api_key.id);
    expect(await direct(entry(api_key.id, 1, 5))).toEqual({ keyId: api_key.id, seq: 1 });
    expect(await minuteCount(api_key.id)).toBe(5);
  });
});
