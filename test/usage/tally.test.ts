import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OUTCOMES, zeroCounts, type UsageOutcome } from "../../src/usage/buckets";
import { UsageTally, type UsageSegment } from "../../src/usage/tally";

const T0 = Date.parse("2026-11-27T10:00:00Z");
const total = (segments: UsageSegment[], outcome: UsageOutcome) => segments.flatMap((s) => s.minutes).reduce((sum, [, c]) => sum + c[outcome], 0);

/** A D1 stand-in with the flush's one rule: a segment applies only if its seq is newer than the last applied. */
class Store {
  seq = 0;
  totals = zeroCounts();
  apply(segment: UsageSegment): boolean {
    if (segment.seq <= this.seq) return false;
    this.seq = segment.seq;
    for (const [, c] of segment.minutes) for (const o of OUTCOMES) this.totals[o] += c[o];
    return true;
  }
}

type Step = { kind: "count"; outcome: UsageOutcome; at: number } | { kind: "flush"; lost: "none" | "answer" | "write" } | { kind: "restart" };
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("count" as const), outcome: fc.constantFrom(...OUTCOMES), at: fc.nat(600_000) }),
  fc.record({ kind: fc.constant("flush" as const), lost: fc.constantFrom("none" as const, "answer" as const, "write" as const) }),
  fc.record({ kind: fc.constant("restart" as const) }),
);

describe("the usage tally", () => {
  it("gets every count into D1 exactly once, whatever flushes fail, lose their answer or meet a restart, and a reader adding the live segments D1 lacks always sees the exact total", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        let tally = new UsageTally();
        const store = new Store();
        const counted = zeroCounts();
        for (const s of steps) {
          if (s.kind === "count") {
            tally.count(T0 + s.at, s.outcome);
            counted[s.outcome]++;
          } else if (s.kind === "restart") {
            tally = UsageTally.from(JSON.parse(JSON.stringify(tally.toStorage())));
          } else {
            const segment = tally.takeForFlush();
            if (!segment || s.lost === "write") continue;
            const applied = store.apply(segment);
            if (s.lost === "none") {
              if (applied || store.seq === segment.seq) tally.flushed(segment.seq);
              else tally.skipTo(store.seq);
            }
          }
          const live = tally.live().filter((segment) => segment.seq > store.seq);
          for (const o of OUTCOMES) expect(store.totals[o] + total(live, o), o).toBe(counted[o]);
        }
        // Flushing until nothing is left puts everything in D1.
        for (let segment = tally.takeForFlush(); segment; segment = tally.takeForFlush()) {
          store.apply(segment);
          tally.flushed(segment.seq);
        }
        expect(store.totals).toEqual(counted);
      }),
    );
  });

  it("continues after D1's sequence when the object's own storage was lost", () => {
    const store = new Store();
    store.seq = 7;
    const tally = new UsageTally();
    tally.count(T0, "admitted");
    const first = tally.takeForFlush()!;
    expect(store.apply(first)).toBe(false);
    tally.skipTo(store.seq);
    const retry = tally.takeForFlush()!;
    expect(retry.seq).toBe(8);
    expect(store.apply(retry)).toBe(true);
    expect(store.totals.admitted).toBe(1);
  });
});
