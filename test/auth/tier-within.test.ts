import { describe, expect, it } from "vitest";
import { looserThan, type Authority, type KeyShape } from "../../src/auth/authority";
import type { Limit, Tier } from "../../src/config";

const tier = (...limits: Limit[]): Tier => ({ limits, limit: limits[0]!.limit, window_seconds: limits[0]!.window_seconds });
const authority = (t: Tier): Authority => ({ scopes: [], resources: [], origins: [], ips: [], agents: [], expiresAt: null, tier: t, credits: null });
const shape = (t: Tier): KeyShape => ({
  scopes: [],
  userPermissions: null,
  resources: [],
  allowed_origins: [],
  allowed_ips: [],
  allowed_agents: [],
  expires_at: null,
  tier: t,
  credits_remaining: null,
  partner: { resources: [], allowed_origins: [] },
});
const looser = (inner: Tier, outer: Tier) => looserThan(shape(inner), authority(outer), { self: false }).map((e) => e.path);

const BURST = tier({ name: "burst", limit: 5, window_seconds: 1 }, { name: "minute", limit: 20, window_seconds: 60 });

describe("a tier no looser than the caller's, with several limits (DESIGN §3a, §10)", () => {
  it("the same tier is within itself", () => {
    expect(looser(BURST, BURST)).toEqual([]);
  });

  it("a single limit as tight as both of the caller's is within; one that drops the caller's burst cap is not", () => {
    expect(looser(tier({ name: "t", limit: 5, window_seconds: 60 }), BURST)).toEqual([]);
    expect(looser(tier({ name: "minute", limit: 20, window_seconds: 60 }), BURST)).toEqual(["rate_limit_tier"]);
  });

  it("a tier that adds a tighter limit stays within; one that loosens any of the caller's limits does not", () => {
    expect(looser(tier(...BURST.limits, { name: "hour", limit: 100, window_seconds: 3600 }), BURST)).toEqual([]);
    expect(looser(tier({ name: "burst", limit: 6, window_seconds: 1 }, { name: "minute", limit: 20, window_seconds: 60 }), BURST)).toEqual(["rate_limit_tier"]);
  });
});
