import { describe, expect, it } from "vitest";
import { sweep } from "../../src/events/sweep";
import { RETENTION_MS, type Granularity } from "../../src/usage/buckets";
import { manualClock } from "../clock";
import { env, partnerWithKey } from "../helpers";

describe("usage retention", () => {
  it("the cron sweep deletes buckets past their granularity's retention and keeps the rest", async () => {
    const clock = manualClock(Date.parse("2026-11-27T12:00:00Z"));
    const { partner, apiKey } = await partnerWithKey();
    const row = (g: Granularity, ageMs: number) =>
      env.DB.prepare("INSERT INTO usage_buckets (key_id, partner_id, granularity, start, admitted) VALUES (?1, ?2, ?3, ?4, 1)")
        .bind(apiKey.id, partner.id, g, new Date(clock.now() - ageMs).toISOString());
    const HOUR = 3_600_000;
    await env.DB.batch(
      (["minute", "hour", "day"] as const).flatMap((g) => [row(g, RETENTION_MS[g] + HOUR), row(g, RETENTION_MS[g] - HOUR)]),
    );
    await sweep(env);
    const left = await env.DB.prepare("SELECT granularity, start FROM usage_buckets WHERE key_id = ?1 ORDER BY granularity").bind(apiKey.id).all();
    expect(left.results.map((r) => r.granularity)).toEqual(["day", "hour", "minute"]);
    for (const r of left.results) {
      expect(clock.now() - Date.parse(String(r.start))).toBeLessThan(RETENTION_MS[r.granularity as Granularity]);
    }
  });
});
