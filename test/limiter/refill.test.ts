import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyRefill, creditsRefillOf, lastBoundary, nextBoundary, refillDue, type CreditsRefill } from "../../src/limiter/refill";

const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);

// 1970..2200, so leap years, month ends and century rules all come up.
const timeArb = fc.integer({ min: 0, max: Date.UTC(2200, 0, 1) });
const refillArb: fc.Arbitrary<CreditsRefill> = fc.oneof(
  fc.record({ amount: fc.integer({ min: 1, max: 1000 }), interval: fc.constant("day" as const) }),
  fc.record({ amount: fc.integer({ min: 1, max: 1000 }), interval: fc.constant("month" as const) }),
  fc.record({ amount: fc.integer({ min: 1, max: 1000 }), interval: fc.constant("month" as const), day_of_month: fc.integer({ min: 1, max: 31 }) }),
);

/** Whether `t` is a boundary of `refill`: 00:00 UTC, and for months, the (clamped) day of the month. */
function isBoundary(refill: CreditsRefill, t: number): boolean {
  if (t % DAY !== 0) return false;
  if (refill.interval === "day") return true;
  const d = new Date(t);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  return d.getUTCDate() === Math.min(refill.day_of_month ?? 1, last);
}

describe("refill boundaries", () => {
  it("the last boundary is a boundary at or before now, and the next one after it lies after now", () => {
    fc.assert(
      fc.property(refillArb, timeArb, (refill, now) => {
        const last = lastBoundary(refill, now);
        const next = nextBoundary(refill, now);
        expect(last).toBeLessThanOrEqual(now);
        expect(next).toBeGreaterThan(now);
        expect(isBoundary(refill, last)).toBe(true);
        expect(isBoundary(refill, next)).toBe(true);
        // Nothing between them: the boundary after `last` is `next`.
        expect(nextBoundary(refill, last)).toBe(next);
      }),
    );
  });

  it("boundaries of a day are 24 hours apart; of a month, 28 to 31 days", () => {
    fc.assert(
      fc.property(refillArb, timeArb, (refill, now) => {
        const gap = nextBoundary(refill, now) - lastBoundary(refill, now);
        if (refill.interval === "day") expect(gap).toBe(DAY);
        else expect(gap / DAY).toSatisfy((days: number) => days >= 28 && days <= 31);
      }),
    );
  });

  it("a day past a month's end means its last day", () => {
    const refill: CreditsRefill = { amount: 10, interval: "month", day_of_month: 31 };
    expect(lastBoundary(refill, at("2027-02-28T12:00:00Z"))).toBe(at("2027-02-28T00:00:00Z"));
    expect(lastBoundary(refill, at("2028-02-29T00:00:00Z"))).toBe(at("2028-02-29T00:00:00Z"));
    expect(lastBoundary(refill, at("2027-03-30T23:59:59Z"))).toBe(at("2027-02-28T00:00:00Z"));
    expect(nextBoundary(refill, at("2027-04-01T00:00:00Z"))).toBe(at("2027-04-30T00:00:00Z"));
  });

  it("a refill is due once per boundary: after it applies, nothing is due until the next boundary", () => {
    fc.assert(
      fc.property(refillArb, timeArb, fc.integer({ min: 0, max: 40 * DAY }), (refill, now, later) => {
        const applied = applyRefill(refill, 0, null, now)!;
        const t = now + later;
        expect(refillDue(refill, applied.refilledAt, t)).toBe(t >= nextBoundary(refill, now));
      }),
    );
  });

  it("tops the balance up to the amount and never lowers a higher one", () => {
    fc.assert(
      fc.property(refillArb, fc.integer({ min: 0, max: 5000 }), timeArb, (refill, balance, now) => {
        const applied = applyRefill(refill, balance, lastBoundary(refill, now) - 1, now)!;
        expect(applied.balance).toBe(Math.max(balance, refill.amount));
        expect(applied.refilledAt).toBe(now);
      }),
    );
  });

  it("leaves an unlimited balance, and a balance without a refill, alone", () => {
    expect(applyRefill({ amount: 5, interval: "day" }, null, null, at("2027-01-02T00:00:00Z"))).toBeNull();
    expect(applyRefill(null, 3, null, at("2027-01-02T00:00:00Z"))).toBeNull();
  });

  it("reads a damaged stored refill as none", () => {
    expect(creditsRefillOf({})).toBeNull();
    expect(creditsRefillOf({ amount: 0, interval: "day" })).toBeNull();
    expect(creditsRefillOf({ amount: 5, interval: "day", day_of_month: 3 })).toBeNull();
    expect(creditsRefillOf({ amount: 5, interval: "month", day_of_month: 32 })).toBeNull();
    expect(creditsRefillOf({ amount: 5, interval: "week" })).toBeNull();
    expect(creditsRefillOf({ amount: 5, interval: "month", day_of_month: 31 })).toEqual({ amount: 5, interval: "month", day_of_month: 31 });
  });
});
