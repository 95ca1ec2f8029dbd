import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rateLimitTiers, resolvedTier } from "../../src/config";
import { MAX_LIMITS_PER_TIER, MAX_WINDOW_SECONDS, parseTiers } from "../../src/limiter/tiers";

const tiersOf = (value: unknown) => parseTiers(JSON.stringify(value));

describe("RATE_LIMIT_TIERS with several limits per tier", () => {
  it("reads a tier's list of named limits in order, and the single form as one limit named by its tier", () => {
    const { tiers, dropped } = tiersOf({
      standard: { limits: [{ name: "burst", limit: 20, window_seconds: 1 }, { name: "minute", limit: 1000, window_seconds: 60 }] },
      premium: { limit: 20000, window_seconds: 60 },
    });
    expect(dropped).toEqual([]);
    expect(tiers.standard!.limits).toEqual([{ name: "burst", limit: 20, window_seconds: 1 }, { name: "minute", limit: 1000, window_seconds: 60 }]);
    expect(tiers.premium!.limits).toEqual([{ name: "premium", limit: 20000, window_seconds: 60 }]);
    // The first limit stands for the tier where one number is shown (the dashboard's tier picker).
    expect([tiers.standard!.limit, tiers.standard!.window_seconds]).toEqual([20, 1]);
  });

  it("drops a malformed tier whole, never a part of it, and keeps the others", () => {
    const ok = { limits: [{ name: "a", limit: 1, window_seconds: 1 }] };
    const cases: Record<string, unknown> = {
      duplicate_names: { limits: [{ name: "x", limit: 1, window_seconds: 1 }, { name: "x", limit: 5, window_seconds: 60 }] },
      empty_list: { limits: [] },
      not_a_list: { limits: { name: "x", limit: 1, window_seconds: 1 } },
      one_bad_limit: { limits: [{ name: "x", limit: 1, window_seconds: 1 }, { name: "y", limit: 0, window_seconds: 60 }] },
      fractional: { limits: [{ name: "x", limit: 1.5, window_seconds: 1 }] },
      unsafe: { limit: 2 ** 53, window_seconds: 60 },
      string_number: { limit: "10", window_seconds: 60 },
      window_too_long: { limits: [{ name: "x", limit: 1, window_seconds: MAX_WINDOW_SECONDS + 1 }] },
      zero_window: { limit: 10, window_seconds: 0 },
      unnamed: { limits: [{ limit: 1, window_seconds: 1 }] },
      empty_name: { limits: [{ name: "", limit: 1, window_seconds: 1 }] },
      non_ascii_name: { limits: [{ name: "minüte", limit: 1, window_seconds: 60 }] },
      both_forms: { limit: 10, window_seconds: 60, limits: [{ name: "x", limit: 1, window_seconds: 1 }] },
      too_many: { limits: Array.from({ length: MAX_LIMITS_PER_TIER + 1 }, (_, i) => ({ name: `l${i}`, limit: 1, window_seconds: i + 1 })) },
      null_tier: null,
    };
    const { tiers, dropped } = tiersOf({ ok, ...cases });
    expect(Object.keys(tiers)).toEqual(["ok"]);
    expect(dropped.sort()).toEqual(Object.keys(cases).sort());
  });

  it("accepts a window of exactly the bound and MAX_LIMITS_PER_TIER limits", () => {
    const limits = Array.from({ length: MAX_LIMITS_PER_TIER }, (_, i) => ({ name: `l${i}`, limit: i + 1, window_seconds: MAX_WINDOW_SECONDS - i }));
    expect(tiersOf({ wide: { limits } }).tiers.wide!.limits).toHaveLength(MAX_LIMITS_PER_TIER);
  });

  it("looks tiers up as own entries only, and falls back to the defaults when nothing valid is configured", () => {
    const env = { RATE_LIMIT_TIERS: JSON.stringify({ burst: { limits: [{ name: "burst", limit: 0, window_seconds: 1 }] } }) };
    expect(Object.keys(rateLimitTiers(env)).sort()).toEqual(["premium", "standard"]);
    expect(resolvedTier(env, "__proto__").limits).toEqual([{ name: "standard", limit: 1000, window_seconds: 60 }]);
    expect(Object.keys(rateLimitTiers({ RATE_LIMIT_TIERS: "[1,2]" })).sort()).toEqual(["premium", "standard"]);
  });

  it("an unknown tier is counted under standard's limits, each still named by its own name", () => {
    const env = { RATE_LIMIT_TIERS: JSON.stringify({ standard: { limits: [{ name: "burst", limit: 2, window_seconds: 1 }, { name: "minute", limit: 9, window_seconds: 60 }] } }) };
    const tier = resolvedTier(env, "gone");
    expect(tier.name).toBe("standard");
    expect(tier.limits.map((l) => l.name)).toEqual(["burst", "minute"]);
  });

  it("never throws and never yields a limit that is not a positive safe integer over a bounded window, for any JSON (fast-check)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const { tiers } = parseTiers(JSON.stringify(value));
        for (const tier of Object.values(tiers)) {
          expect(tier.limits.length).toBeGreaterThan(0);
          expect(new Set(tier.limits.map((l) => l.name)).size).toBe(tier.limits.length);
          for (const l of tier.limits) {
            expect(Number.isSafeInteger(l.limit) && l.limit > 0).toBe(true);
            expect(Number.isSafeInteger(l.window_seconds) && l.window_seconds > 0 && l.window_seconds <= MAX_WINDOW_SECONDS).toBe(true);
          }
        }
      }),
    );
  });
});
