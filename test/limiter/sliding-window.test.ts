import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SlidingWindow } from "../../src/limiter/sliding-window";

describe("SlidingWindow", () => {
  it("admits exactly the limit within one window, then refuses with a reset", () => {
    const w = new SlidingWindow(3, 60_000);
    const results = [0, 10, 20, 30].map((t) => w.tryAdmit(1_000_000 + t));
    expect(results.map((r) => r.admitted)).toEqual([true, true, true, false]);
    expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0]);
    expect(results[3]!.resetSeconds).toBeGreaterThan(59);
    expect(results[3]!.resetSeconds).toBeLessThanOrEqual(61);
  });

  it("has no fixed-window double burst: a full burst at a window edge blocks the next window's start", () => {
    const w = new SlidingWindow(10, 60_000);
    for (let i = 0; i < 10; i++) expect(w.tryAdmit(59_999).admitted).toBe(true);
    expect(w.tryAdmit(60_001).admitted).toBe(false);
    expect(w.tryAdmit(100_000).admitted).toBe(false);
    expect(w.tryAdmit(121_000).admitted).toBe(true);
  });

  it("charges a cost of several units at once, only if all fit", () => {
    const w = new SlidingWindow(5, 1000);
    expect(w.tryAdmit(0, 3).admitted).toBe(true);
    expect(w.tryAdmit(1, 3).admitted).toBe(false);
    expect(w.tryAdmit(2, 2).remaining).toBe(0);
  });

  it("never admits more than the limit in any rolling window, for any arrival pattern", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 100, max: 10_000 }),
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 300 }),
        (limit, windowMs, gaps) => {
          const w = new SlidingWindow(limit, windowMs);
          const admitted: number[] = [];
          let t = 1_000_000;
          for (const gap of gaps) {
            t += gap;
            if (w.tryAdmit(t).admitted) admitted.push(t);
          }
          // Every window (t - windowMs, t] ending at an admission holds at most `limit` admissions.
          for (let i = 0; i < admitted.length; i++) {
            const inWindow = admitted.filter((a) => a > admitted[i]! - windowMs && a <= admitted[i]!).length;
            if (inWindow > limit) return false;
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });

  it("admits again once the window has fully passed (no permanent starvation)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 60, max: 120_000 }), (limit, windowMs) => {
        const w = new SlidingWindow(limit, windowMs);
        for (let i = 0; i < limit; i++) w.tryAdmit(0);
        return !w.tryAdmit(1).admitted && w.tryAdmit(windowMs + 2 * w.bucketMs).admitted;
      }),
    );
  });
});
