import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BUCKET_MS, GRANULARITIES, MAX_BUCKETS, OUTCOMES, resolveRange, rollUp, series, zeroCounts, type Counts } from "../../src/usage/buckets";

const NOW = Date.parse("2026-11-27T15:42:10.500Z");
const counts = fc.record(Object.fromEntries(OUTCOMES.map((o) => [o, fc.nat(1000)])) as Record<keyof Counts, fc.Arbitrary<number>>);
const minuteStart = fc.integer({ min: 0, max: 5 * 24 * 60 }).map((m) => Date.parse("2026-11-25T00:00:00Z") + m * 60_000);

describe("usage buckets", () => {
  it("default to the last 24 hours by hour: 24 buckets, the open hour last", () => {
    const range = resolveRange({}, NOW);
    if ("error" in range) throw new Error(range.error);
    const data = series(range);
    expect(data).toHaveLength(24);
    expect(data.at(-1)!.start).toBe("2026-11-27T15:00:00.000Z");
    expect(data[0]!.start).toBe("2026-11-26T16:00:00.000Z");
  });

  it("cover exactly the buckets overlapping [from, to), oldest first, at most the documented number", () => {
    fc.assert(
      fc.property(fc.constantFrom(...GRANULARITIES), fc.integer({ min: 0, max: 800 * 86_400_000 }), fc.integer({ min: 1, max: 800 * 86_400_000 }), (granularity, back, span) => {
        const from = NOW - back;
        const to = from + span;
        const range = resolveRange({ granularity, from, to }, NOW);
        const size = BUCKET_MS[granularity];
        const expected = Math.ceil(to / size) - Math.floor(from / size);
        if (expected > MAX_BUCKETS[granularity]) {
          expect(range).toMatchObject({ path: "to" });
          return;
        }
        if ("error" in range) throw new Error(range.error);
        const starts = series(range).map((b) => Date.parse(b.start));
        expect(starts).toHaveLength(expected);
        expect(starts[0]).toBeLessThanOrEqual(from);
        expect(starts[0]! + size).toBeGreaterThan(from);
        expect(starts.at(-1)!).toBeLessThan(to);
        for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBe(size);
      }),
    );
    expect(resolveRange({ from: NOW, to: NOW }, NOW)).toMatchObject({ path: "from" });
  });

  it("roll minutes up into hours and days without losing or inventing a request", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(minuteStart, counts), { maxLength: 50 }), fc.constantFrom(...GRANULARITIES), (minutes, granularity) => {
        const rolled = rollUp(minutes, granularity);
        for (const o of OUTCOMES) {
          const before = minutes.reduce((sum, [, c]) => sum + c[o], 0);
          const after = [...rolled.values()].reduce((sum, c) => sum + c[o], 0);
          expect(after).toBe(before);
        }
        for (const start of rolled.keys()) expect(start % BUCKET_MS[granularity]).toBe(0);
        // Each minute lands in the bucket that holds it.
        for (const [start] of minutes) expect(rolled.has(start - (start % BUCKET_MS[granularity]))).toBe(true);
      }),
    );
  });

  it("add every source into the series and show zeros where nothing happened", () => {
    const range = resolveRange({ granularity: "minute", from: Date.parse("2026-11-27T10:00:00Z"), to: Date.parse("2026-11-27T10:03:00Z") }, NOW);
    if ("error" in range) throw new Error(range.error);
    const at = Date.parse("2026-11-27T10:01:00Z");
    const a = new Map([[at, { ...zeroCounts(), admitted: 2 }]]);
    const b = new Map([[at, { ...zeroCounts(), admitted: 3, refused: 1 }]]);
    expect(series(range, a, b)).toEqual([
      { start: "2026-11-27T10:00:00.000Z", ...zeroCounts() },
      { start: "2026-11-27T10:01:00.000Z", ...zeroCounts(), admitted: 5, refused: 1 },
      { start: "2026-11-27T10:02:00.000Z", ...zeroCounts() },
    ]);
  });
});
