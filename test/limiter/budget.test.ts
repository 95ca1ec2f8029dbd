import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { admitBoth, combinedState, latestBudget, reportedCredits } from "../../src/limiter/budget";
import { MultiWindow } from "../../src/limiter/multi-window";

const balance = fc.option(fc.integer({ min: 0, max: 50 }));

describe("a pooled key's budget", () => {
  it("refuses a request exactly when the key's or the partner's balance is short, reporting that one", () => {
    fc.assert(
      fc.property(balance, balance, fc.integer({ min: 0, max: 60 }), (key, partner, cost) => {
        const r = reportedCredits(key, partner, cost);
        const keyShort = key !== null && key < cost;
        const partnerShort = partner !== null && partner < cost;
        expect(r.short).toBe(keyShort || partnerShort);
        if (keyShort) expect(r).toMatchObject({ balance: key, source: "key" });
        else if (partnerShort) expect(r).toMatchObject({ balance: partner, source: "partner" });
        else if (key === null && partner === null) expect(r).toMatchObject({ balance: null, source: null });
        else expect(r.balance).toBe(Math.min(...[key, partner].filter((b): b is number => b !== null)));
      }),
    );
  });

  it("reports the key's balance on a tie", () => {
    expect(reportedCredits(3, 3, 1)).toEqual({ balance: 3, source: "key", short: false });
  });

  it("counts a request in both sets of windows or in neither", () => {
    const shared = MultiWindow.fresh([{ name: "minute", limit: 3, window_seconds: 60 }]);
    const own = MultiWindow.fresh([{ name: "minute", limit: 2, window_seconds: 60 }]);
    expect(admitBoth(shared, own, 0, 1).admitted).toBe(true);
    expect(admitBoth(shared, own, 0, 1).admitted).toBe(true);
    const refused = admitBoth(shared, own, 0, 1);
    expect(refused.admitted).toBe(false);
    // Retry-After is the key's own limit's, the one refusing.
    expect(refused.state.retryAfter).toBe(own.tryAdmit(0, 1).state.retryAfter);
    expect(refused.refusing.map((l) => l.limit)).toEqual([2]);
    // The refusal by the key's own limit cost nothing in the shared one.
    expect(admitBoth(shared, null, 0, 1).admitted).toBe(true);
    expect(admitBoth(shared, null, 0, 1).admitted).toBe(false);
  });

  it("names the key's own limits apart from the partner's when the names repeat", () => {
    const shared = MultiWindow.fresh([{ name: "minute", limit: 3, window_seconds: 60 }]);
    const own = MultiWindow.fresh([{ name: "minute", limit: 2, window_seconds: 60 }, { name: "burst", limit: 1, window_seconds: 1 }]);
    expect(combinedState(shared, own, 0).limits.map((l) => l.name)).toEqual(["minute", "key:minute", "burst"]);
  });

  it("takes over the copy of a budget used last, the earlier candidate on a tie", () => {
    const copy = (credits: number, usedAt: number | null) => ({ credits, refilledAt: null, usageSeq: 0, usedAt });
    expect(latestBudget([null, copy(1, 5), copy(2, 9)])?.credits).toBe(2);
    expect(latestBudget([copy(1, 9), copy(2, 9)])?.credits).toBe(1);
    expect(latestBudget([copy(1, null), copy(2, null)])?.credits).toBe(1);
    expect(latestBudget([null, null])).toBeNull();
  });
});
