import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MultiWindow, mostRestrictive } from "../../src/limiter/multi-window";
import { leaseFrom } from "../../src/limiter/guard-leases";
import { SlidingWindow } from "../../src/limiter/sliding-window";
import type { Limit } from "../../src/limiter/tiers";

const BURST: Limit[] = [
  { name: "burst", limit: 5, window_seconds: 1 },
  { name: "minute", limit: 20, window_seconds: 60 },
];

/** An independent copy of `m` (its counts copied), to probe a future without touching the original. */
const copyOf = (m: MultiWindow) => new MultiWindow(m.limits, m.windows.map((w) => new SlidingWindow(w.limit, w.windowMs, new Map(w.counts))));

/** The reference model: per limit, the times of the requests it counted (one entry per unit). */
class Reference {
  readonly times: number[][];
  constructor(readonly limits: readonly Limit[]) {
    this.times = limits.map(() => []);
  }
  /** Units counted by limit `i` in the `spanMs` ending at `t`, i.e. in (t - spanMs, t]. */
  countIn(i: number, t: number, spanMs: number): number {
    return this.times[i]!.filter((at) => at > t - spanMs && at <= t).length;
  }
  /** Whether every limit admits `cost` at `t` over windows stretched by `slackMs` each (0: the exact rule). */
  admits(t: number, cost: number, slack: (i: number) => number = () => 0): boolean {
    return this.limits.every((l, i) => this.countIn(i, t, l.window_seconds * 1000 + slack(i)) + cost <= l.limit);
  }
  record(t: number, cost: number) {
    for (const times of this.times) for (let k = 0; k < cost; k++) times.push(t);
  }
}

const limitsArb = fc
  .array(fc.record({ limit: fc.integer({ min: 1, max: 12 }), window_seconds: fc.integer({ min: 1, max: 90 }) }), { minLength: 1, maxLength: 4 })
  .map((ls) => ls.map((l, i): Limit => ({ name: `l${i}`, ...l })));
const arrivalsArb = fc.array(fc.record({ gap: fc.integer({ min: 0, max: 4_000 }), cost: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 200 });

describe("MultiWindow: several limits decided as one", () => {
  it("agrees with a reference model of timestamps per limit: admits only what every limit admits exactly, refuses only when some limit is full within one bucket, and records an admission in every limit (fast-check)", () => {
    fc.assert(
      fc.property(limitsArb, arrivalsArb, (limits, arrivals) => {
        const multi = MultiWindow.fresh(limits);
        const ref = new Reference(limits);
        let t = 1_700_000_000_000;
        for (const { gap, cost } of arrivals) {
          t += gap;
          const before = multi.windows.map((w) => w.used(t));
          const result = multi.tryAdmit(t, cost);
          if (result.admitted) {
            // Never more than the exact rule allows...
            expect(ref.admits(t, cost)).toBe(true);
            ref.record(t, cost);
            // ...and counted in all of them.
            expect(multi.windows.map((w) => w.used(t))).toEqual(before.map((u) => u + cost));
          } else {
            // Refused only by a limit that the reference, stretched by one bucket, also finds full.
            expect(ref.admits(t, cost, (i) => multi.windows[i]!.bucketMs)).toBe(false);
            expect(result.refusing.length).toBeGreaterThan(0);
            // A refusal spends nothing on any limit.
            expect(multi.windows.map((w) => w.used(t))).toEqual(before);
          }
          // The state lists every limit, and heads it with the one with the fewest remaining.
          expect(result.state.limits.map((l) => l.name)).toEqual(limits.map((l) => l.name));
          expect(result.state.remaining).toBe(Math.min(...result.state.limits.map((l) => l.remaining)));
          for (const [i, l] of result.state.limits.entries()) {
            // Remaining is what the exact window leaves, less at most the requests of one trailing bucket.
            const windowMs = limits[i]!.window_seconds * 1000;
            expect(l.remaining).toBeLessThanOrEqual(Math.max(0, limits[i]!.limit - ref.countIn(i, t, windowMs)));
            expect(l.remaining).toBeGreaterThanOrEqual(Math.max(0, limits[i]!.limit - ref.countIn(i, t, windowMs + multi.windows[i]!.bucketMs)));
            expect(l.reset).toBeLessThanOrEqual(limits[i]!.window_seconds);
          }
        }
        // The admitted requests never exceed any limit in any rolling window.
        for (const [i, l] of limits.entries()) {
          for (const at of ref.times[i]!) expect(ref.countIn(i, at, l.window_seconds * 1000)).toBeLessThanOrEqual(l.limit);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("a refusal's admitsAt is exact: with nothing admitted meanwhile, every limit admits the request then, and not a millisecond before (fast-check)", () => {
    fc.assert(
      fc.property(limitsArb, arrivalsArb, fc.integer({ min: 1, max: 3 }), (limits, arrivals, cost) => {
        const multi = MultiWindow.fresh(limits);
        let t = 1_700_000_000_000;
        for (const a of arrivals) multi.tryAdmit((t += a.gap), a.cost);
        const refused = copyOf(multi).tryAdmit(t, cost);
        if (refused.admitted) return;
        const at = refused.admitsAt!;
        if (cost > Math.min(...limits.map((l) => l.limit))) {
          expect(at).toBe(Infinity);
          return;
        }
        expect(at).toBeGreaterThan(t);
        expect(copyOf(multi).tryAdmit(at - 1, cost).admitted).toBe(false);
        expect(copyOf(multi).tryAdmit(at, cost).admitted).toBe(true);
        // Retry-After covers it, in whole seconds, and the legacy Reset never says later.
        expect(refused.state.retryAfter).toBe(Math.ceil((at - t) / 1000));
        expect(refused.state.reset).toBeLessThanOrEqual(refused.state.retryAfter!);
      }),
      { numRuns: 200 },
    );
  });

  it("burst 5/s + 20/min: a full burst refuses the sixth with Retry-After 1; a full minute refuses until the minute frees, though the burst has room", () => {
    const multi = MultiWindow.fresh(BURST);
    const t0 = 1_700_000_040_000;
    const first = [0, 1, 2, 3, 4].map((i) => multi.tryAdmit(t0 + i));
    expect(first.every((r) => r.admitted)).toBe(true);
    const sixth = multi.tryAdmit(t0 + 5);
    expect(sixth.admitted).toBe(false);
    expect(sixth.refusing.map((l) => l.name)).toEqual(["burst"]);
    expect(sixth.state).toMatchObject({ limit: 5, remaining: 0, reset: 1, retryAfter: 1 });
    // Three more bursts fill the minute.
    for (const s of [2, 4, 6]) for (let i = 0; i < 5; i++) expect(multi.tryAdmit(t0 + s * 1000 + i).admitted).toBe(true);
    const refused = multi.tryAdmit(t0 + 8_000);
    expect(refused.refusing.map((l) => l.name)).toEqual(["minute"]);
    // The most restrictive is the full minute, not the burst that still has all 5.
    expect(refused.state).toMatchObject({ limit: 20, remaining: 0 });
    expect(refused.state.limits.map((l) => [l.name, l.remaining])).toEqual([["burst", 5], ["minute", 0]]);
    // The minute's first bucket (1 s wide) leaves at t0 + 61 s: 53 s from now.
    expect(refused.state.retryAfter).toBe(53);
  });

  it("Retry-After is the latest of the refusing limits' times: two full limits wait for the slower, and the request is admitted then", () => {
    const multi = MultiWindow.fresh([
      { name: "ten-seconds", limit: 2, window_seconds: 10 },
      { name: "minute", limit: 3, window_seconds: 60 },
    ]);
    const t0 = 1_700_000_000_000;
    expect(multi.tryAdmit(t0).admitted).toBe(true);
    expect(multi.tryAdmit(t0 + 20_000).admitted).toBe(true);
    expect(multi.tryAdmit(t0 + 20_000).admitted).toBe(true);
    const refused = multi.tryAdmit(t0 + 21_000);
    expect(refused.refusing.map((l) => l.name)).toEqual(["ten-seconds", "minute"]);
    // ten-seconds frees at t0 + 20 s + 10 s (+ its bucket); minute at t0 + 60 s (+ its bucket): the minute decides.
    expect(refused.admitsAt).toBe(t0 + 61_000);
    expect(refused.state.retryAfter).toBe(40);
    expect(copyOf(multi).tryAdmit(t0 + 31_000).admitted, "the ten-second limit alone frees first").toBe(false);
    expect(multi.tryAdmit(t0 + 61_000).admitted).toBe(true);
  });

  it("most restrictive: the fewest remaining, then the longest reset, then the first configured", () => {
    const l = (name: string, remaining: number, reset: number) => ({ name, limit: 10, remaining, reset, window_seconds: 60 });
    expect(mostRestrictive([l("a", 3, 5), l("b", 2, 1)]).name).toBe("b");
    expect(mostRestrictive([l("a", 2, 5), l("b", 2, 9)]).name).toBe("b");
    expect(mostRestrictive([l("a", 2, 9), l("b", 2, 9)]).name).toBe("a");
  });
});

describe("leases over several limits", () => {
  it("a lease is sized by the tightest limit and expires by the earliest bucket end of any window, so spending it never exceeds a limit (fast-check)", () => {
    let leasedTotal = 0;
    fc.assert(
      fc.property(
        limitsArb.map((ls) => ls.map((l) => ({ ...l, limit: l.limit * 20 }))),
        fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 150 }),
        (limits, gaps) => {
          const multi = MultiWindow.fresh(limits);
          const served: number[] = [];
          let lease: { tokens: number; expiresAt: number } | undefined;
          let t = 1_700_000_000_000;
          for (const gap of gaps) {
            t += gap;
            if (lease && lease.tokens > 0 && t < lease.expiresAt) {
              lease.tokens -= 1;
              leasedTotal += 1;
              served.push(t);
              continue;
            }
            if (!multi.tryAdmit(t).admitted) continue;
            served.push(t);
            lease = leaseFrom(multi, t, { ms: 1_000, tokens: 16 }, null);
            if (lease) {
              const tightest = Math.min(...multi.state(t).limits.map((l) => l.remaining + lease!.tokens));
              expect(lease.tokens).toBeLessThanOrEqual(Math.floor(tightest / 10));
              expect(lease.expiresAt).toBeLessThanOrEqual(multi.bucketEnd(t));
            }
          }
          // Requests served (by the guard or a lease) never exceed any limit in any rolling window.
          for (const l of limits) {
            const w = l.window_seconds * 1000;
            for (const at of served) expect(served.filter((s) => s > at - w && s <= at).length).toBeLessThanOrEqual(l.limit);
          }
        },
      ),
      { numRuns: 150 },
    );
    // The property was about leases, not only the guard's own admissions.
    expect(leasedTotal).toBeGreaterThan(0);
  });

  it("grants nothing while a limit has fewer than 10 left (burst 5/s never leases)", () => {
    const multi = MultiWindow.fresh(BURST);
    expect(multi.tryAdmit(1_700_000_000_000).admitted).toBe(true);
    expect(leaseFrom(multi, 1_700_000_000_000, { ms: 1_000, tokens: 16 }, null)).toBeUndefined();
  });
});
