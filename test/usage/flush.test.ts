import { lostAnswersD1 } from "../db/lost-answers";
import { describe, expect, it } from "vitest";
import { flushUsage } from "../../src/usage/flush";
import { UsageTally } from "../../src/usage/tally";
import { env, partnerWithKey } from "../helpers";

const T0 = Date.parse("2026-11-27T10:00:00Z");

/** The real dataset binding, recording what it was given. */
function recordingDataset() {
  const points: AnalyticsEngineDataPoint[] = [];
  const dataset: AnalyticsEngineDataset = {
    writeDataPoint(point) {
      points.push(point!);
      env.USAGE_ANALYTICS!.writeDataPoint(point);
    },
  };
  return { points, dataset };
}

const answerLostD1 = (times: number) => lostAnswersD1(times).db;

const stored = async (keyId: string) =>
  (
    await env.DB.prepare("SELECT granularity, SUM(admitted) AS admitted, SUM(refused) AS refused FROM usage_buckets WHERE key_id = ?1 GROUP BY granularity ORDER BY granularity")
      .bind(keyId)
      .all()
  ).results;

describe("the usage flush", () => {
  it("writes each minute with its hour and day roll-ups, and one Analytics Engine point per minute when the dataset is bound", async () => {
    const { partner, apiKey } = await partnerWithKey();
    const tally = new UsageTally();
    for (let i = 0; i < 3; i++) tally.count(T0 + i, "admitted");
    tally.count(T0 + 61_000, "refused");
    tally.count(T0 + 62_000, "credits_refilled", 7);
    const { points, dataset } = recordingDataset();
    const state = { keyId: apiKey.id, partnerId: partner.id, usedAt: T0, credits: null };
    expect(await flushUsage(env.DB, state, tally, () => {}, dataset), "no notices").toEqual([]);
    expect(await stored(apiKey.id)).toEqual([
      { granularity: "day", admitted: 3, refused: 1 },
      { granularity: "hour", admitted: 3, refused: 1 },
      { granularity: "minute", admitted: 3, refused: 1 },
    ]);
    expect(points).toEqual([
      { indexes: [apiKey.id], blobs: [apiKey.id, partner.id], doubles: [T0, 3, 0, 0, 0, 0] },
      { indexes: [apiKey.id], blobs: [apiKey.id, partner.id], doubles: [T0 + 60_000, 0, 0, 0, 1, 7] },
    ]);
    expect(tally.hasPending).toBe(false);
  });

  it("retried after a commit whose answer was lost, counts nothing twice in D1 or in Analytics Engine", async () => {
    const { partner, apiKey } = await partnerWithKey();
    const tally = new UsageTally();
    tally.count(T0, "admitted");
    tally.count(T0, "admitted");
    const { points, dataset } = recordingDataset();
    const state = { keyId: apiKey.id, partnerId: partner.id, usedAt: T0, credits: null };
    await expect(flushUsage(answerLostD1(1), state, tally, () => {}, dataset)).rejects.toThrow(/answer was lost/);
    expect(tally.hasPending, "the segment stays in flight").toBe(true);
    tally.count(T0 + 1, "admitted");
    // The retry re-sends the same segment: D1 already holds it, so only its bookkeeping ends.
    await flushUsage(env.DB, state, tally, () => {}, dataset);
    expect(await stored(apiKey.id)).toEqual([
      { granularity: "day", admitted: 2, refused: 0 },
      { granularity: "hour", admitted: 2, refused: 0 },
      { granularity: "minute", admitted: 2, refused: 0 },
    ]);
    // The count made meanwhile goes with the next flush, once.
    await flushUsage(env.DB, state, tally, () => {}, dataset);
    expect((await stored(apiKey.id)).map((r) => r.admitted)).toEqual([3, 3, 3]);
    expect(points.map((p) => p.doubles![1])).toEqual([2, 1]);
  });
});
