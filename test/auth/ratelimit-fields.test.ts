import fc from "fast-check";
import { parseList, serializeList } from "structured-headers";
import { rateLimitFields as fieldsOf } from "../../src/auth/ratelimit-fields";
import { describe, expect, it } from "vitest";
import { call, createKey, createPartner, partnerWithKey, type Reply } from "../helpers";

const TINY = { limit: 5, window: 60 }; // vitest.config.ts: tiny = 5 per 60 s

interface Fields {
  policy: { name: string; q: number; w: number };
  limit: { name: string; r: number; t: number };
  legacy: { limit: number; remaining: number; reset: number };
}

/** The structured and legacy rate-limit fields of a response, checked to parse and to agree with each other. */
function rateLimitFields(res: Reply): Fields {
  const policyHeader = res.headers.get("ratelimit-policy");
  const limitHeader = res.headers.get("ratelimit");
  expect(policyHeader, "RateLimit-Policy").not.toBeNull();
  expect(limitHeader, "RateLimit").not.toBeNull();

  const policy = parseList(policyHeader!);
  const limit = parseList(limitHeader!);
  expect(policy).toHaveLength(1);
  expect(limit).toHaveLength(1);
  const [policyName, policyParams] = policy[0]!;
  const [limitName, limitParams] = limit[0]!;
  // Items, not inner lists, named by a String (quoted), as the draft's examples do.
  expect(typeof policyName).toBe("string");
  expect(typeof limitName).toBe("string");
  expect([...policyParams.keys()].sort()).toEqual(["q", "w"]);
  expect([...limitParams.keys()].sort()).toEqual(["r", "t"]);
  for (const v of [...policyParams.values(), ...limitParams.values()]) {
    expect(Number.isInteger(v), String(v)).toBe(true);
    expect(v as number).toBeGreaterThanOrEqual(0);
  }

  const fields: Fields = {
    policy: { name: policyName as string, q: policyParams.get("q") as number, w: policyParams.get("w") as number },
    limit: { name: limitName as string, r: limitParams.get("r") as number, t: limitParams.get("t") as number },
    legacy: {
      limit: Number(res.headers.get("ratelimit-limit")),
      remaining: Number(res.headers.get("ratelimit-remaining")),
      reset: Number(res.headers.get("ratelimit-reset")),
    },
  };
  for (const name of ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"]) {
    expect(res.headers.get(name), name).toMatch(/^\d+$/);
  }
  // One limit, described by both fields under one name, and the legacy fields say the same.
  expect(fields.limit.name).toBe(fields.policy.name);
  expect(fields.legacy).toEqual({ limit: fields.policy.q, remaining: fields.limit.r, reset: fields.limit.t });
  // Neither t nor Reset ever exceeds the window.
  expect(fields.limit.t).toBeLessThanOrEqual(fields.policy.w);
  expect(fields.legacy.reset).toBeLessThanOrEqual(fields.policy.w);
  expect(fields.limit.r).toBeLessThanOrEqual(fields.policy.q);
  return fields;
}

describe("IETF RateLimit-Policy and RateLimit fields", () => {
  it("a standard-tier key's response carries RateLimit-Policy \"standard\";q=1000;w=60 and RateLimit \"standard\";r=<remaining>;t≤60, agreeing with the legacy fields", async () => {
    const { key } = await partnerWithKey();
    const first = rateLimitFields(await call("/v1/me/key", { auth: key }));
    expect(first.policy).toEqual({ name: "standard", q: 1000, w: 60 });
    expect(first.limit.name).toBe("standard");
    expect(first.limit.r).toBe(999);
    const second = rateLimitFields(await call("/v1/me/key", { auth: key }));
    expect(second.limit.r).toBe(998);
    expect(second.limit.t).toBeLessThanOrEqual(60);
  });

  it("every key-authenticated response carries them: 200s of several routes, 403 insufficient_scope and 404 not_found alike", async () => {
    const partner = await createPartner();
    const { key } = await createKey(partner.id, { scopes: ["keys:read"] });
    const responses: [string, number, string | undefined][] = [
      ["/v1/me/key", 200, undefined],
      ["/v1/me/partner", 200, undefined],
      [`/v1/partners/${partner.id}/keys`, 200, undefined],
      ["/v1/keys/key_0000000000000000", 404, "not_found"],
      [`/v1/partners/${partner.id}/users`, 403, "insufficient_scope"],
    ];
    let previous = 1000;
    for (const [path, status, code] of responses) {
      const res = await call(path, { auth: key });
      expect(res.status, `${path} ${res.text}`).toBe(status);
      if (code) expect(res.body.code).toBe(code);
      const f = rateLimitFields(res);
      expect(f.policy).toEqual({ name: "standard", q: 1000, w: 60 });
      // A scope refusal is decided in the admission and spends nothing; every other request spends one.
      expect(f.limit.r, path).toBe(code === "insufficient_scope" ? previous : previous - 1);
      previous = f.limit.r;
    }
  });

  it("names the tier the key is counted under: the key's own tier, else its partner's", async () => {
    const partner = await createPartner({ rate_limit_tier: "premium" });
    const inherited = await createKey(partner.id);
    const own = await createKey(partner.id, { rate_limit_tier: "small" });
    expect(rateLimitFields(await call("/v1/me/key", { auth: inherited.key })).policy).toEqual({ name: "premium", q: 20000, w: 60 });
    expect(rateLimitFields(await call("/v1/me/key", { auth: own.key })).policy).toEqual({ name: "small", q: 50, w: 60 });
  });

  it("a tiny-tier key (5 per 60 s): each of 8 requests carries fields that agree; the 429s add Retry-After, and t/Reset never exceed 60", async () => {
    const { key } = await partnerWithKey({ rate_limit_tier: "tiny" });
    for (let i = 1; i <= 8; i++) {
      const res = await call("/v1/me/key", { auth: key });
      const f = rateLimitFields(res);
      expect(f.policy).toEqual({ name: "tiny", q: TINY.limit, w: TINY.window });
      expect(f.limit.t, `request ${i}`).toBeLessThanOrEqual(TINY.window);
      expect(f.legacy.reset, `request ${i}`).toBeLessThanOrEqual(TINY.window);
      if (i <= TINY.limit) {
        expect(res.status, `request ${i}`).toBe(200);
        expect(f.limit.r).toBe(TINY.limit - i);
        expect(res.headers.get("retry-after")).toBeNull();
      } else {
        expect([res.status, res.body.code], `request ${i}`).toEqual([429, "rate_limited"]);
        expect(f.limit.r).toBe(0);
        const retryAfter = res.headers.get("retry-after");
        expect(retryAfter).toMatch(/^\d+$/);
        expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
        // Retry-After is never sooner than t says the quota frees. (It may read one bucket, 1 s,
        // past the window when this isolate answers the 429 itself: the window counts a request
        // for up to one bucket longer, while t is clamped to the window by contract.)
        expect(f.limit.t).toBeGreaterThanOrEqual(1);
        expect(Number(retryAfter)).toBeGreaterThanOrEqual(f.limit.t);
        expect(Number(retryAfter)).toBeLessThanOrEqual(TINY.window + 1);
      }
    }
  });

  it("for any number of requests to a tiny-tier key, the last response's fields agree, with r = max(0, 5 − n) and t ≤ 60 (fast-check)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 9 }), async (n) => {
        const { key } = await partnerWithKey({ rate_limit_tier: "tiny" });
        let last!: Reply;
        for (let i = 0; i < n; i++) last = await call("/v1/me/key", { auth: key });
        const f = rateLimitFields(last);
        expect(f.policy).toEqual({ name: "tiny", q: 5, w: 60 });
        expect(f.limit.r).toBe(Math.max(0, TINY.limit - n));
        expect(f.limit.t).toBeLessThanOrEqual(60);
        expect(last.status).toBe(n <= TINY.limit ? 200 : 429);
        if (n > TINY.limit) expect(last.headers.get("retry-after")).not.toBeNull();
      }),
      { numRuns: 6 },
    );
  });

  it("a 401 carries no rate-limit fields: it must look the same for every bad key", async () => {
    const res = await call("/v1/me/key", { auth: "kw_sk_not_a_real_key" });
    expect(res.status).toBe(401);
    for (const name of ["ratelimit-policy", "ratelimit", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"]) {
      expect(res.headers.get(name), name).toBeNull();
    }
  });
});

describe("Access-Control-Expose-Headers", () => {
  const EXPOSED = ["RateLimit-Policy", "RateLimit", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After", "X-Request-Id"];
  const exposed = (res: Reply) =>
    (res.headers.get("access-control-expose-headers") ?? "")
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean);

  it("a browser-origin request that passes the key's origin list exposes RateLimit-Policy, RateLimit, the legacy fields, Retry-After and X-Request-Id", async () => {
    const origin = `https://${crypto.randomUUID()}.example`;
    const { key } = await partnerWithKey({ allowed_origins: [origin] });
    const res = await call("/v1/me/key", { auth: key, headers: { origin } });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(origin);
    for (const name of EXPOSED) expect(exposed(res), name).toContain(name.toLowerCase());
    // And the exposed fields are really there to read.
    rateLimitFields(res);
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });

  it("an origin the key's list does not hold is 403 origin_not_allowed, with nothing allowed or exposed to it", async () => {
    const origin = `https://${crypto.randomUUID()}.example`;
    const { key } = await partnerWithKey({ allowed_origins: [origin] });
    const res = await call("/v1/me/key", { auth: key, headers: { origin: "https://elsewhere.example" } });
    expect([res.status, res.body.code]).toEqual([403, "origin_not_allowed"]);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("access-control-expose-headers")).toBeNull();
  });

  it("an allowed origin's 429 is readable by the browser: Allow-Origin plus the exposed Retry-After and RateLimit fields", async () => {
    const origin = `https://${crypto.randomUUID()}.example`;
    const { key } = await partnerWithKey({ allowed_origins: [origin], rate_limit_tier: "tiny" });
    let res!: Reply;
    for (let i = 0; i <= TINY.limit; i++) res = await call("/v1/me/key", { auth: key, headers: { origin } });
    expect([res.status, res.body.code]).toEqual([429, "rate_limited"]);
    expect(res.headers.get("retry-after")).not.toBeNull();
    expect(res.headers.get("access-control-allow-origin")).toBe(origin);
    for (const name of EXPOSED) expect(exposed(res), name).toContain(name.toLowerCase());
  });

  it("an allowed origin's 402 credits_exhausted is readable by the browser: Allow-Origin and the exposed fields", async () => {
    const origin = `https://${crypto.randomUUID()}.example`;
    const { key } = await partnerWithKey({ allowed_origins: [origin], credits_remaining: 1 });
    expect((await call("/v1/me/key", { auth: key, headers: { origin } })).status).toBe(200);
    const res = await call("/v1/me/key", { auth: key, headers: { origin } });
    expect([res.status, res.body.code]).toEqual([402, "credits_exhausted"]);
    expect(res.headers.get("access-control-allow-origin")).toBe(origin);
    for (const name of EXPOSED) expect(exposed(res), name).toContain(name.toLowerCase());
  });
});

describe("the rate-limit fields' serialization", () => {
  it("equals the structured-headers library's for any names and counts, the tier's policy remembered or not", () => {
    const limit = fc.record({
      // Tier and limit names are printable ASCII (src/config.ts), which an sf-string can carry.
      name: fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 12 }),
      limit: fc.integer({ min: 1, max: 1_000_000_000 }),
      window_seconds: fc.integer({ min: 1, max: 86_400 }),
      remaining: fc.oneof(fc.integer({ min: 0, max: 1_000_000_000 }), fc.maxSafeNat(), fc.double({ min: 0, max: 10, noNaN: true })),
      reset: fc.integer({ min: 0, max: 86_400 }),
    });
    fc.assert(
      fc.property(fc.array(limit, { minLength: 1, maxLength: 4 }), fc.boolean(), (limits, twice) => {
        const state = { limits, limit: limits[0]!.limit, remaining: limits[0]!.remaining, reset: limits[0]!.reset } as Parameters<typeof fieldsOf>[0];
        if (twice) {
          try {
            fieldsOf(state);
          } catch {
            // Compared below: the library throws for the same input.
          }
        }
        const library = (params: (l: (typeof limits)[number]) => [string, number][]) => {
          try {
            return serializeList(limits.map((l) => [l.name, new Map(params(l))]));
          } catch (err) {
            return `throws ${String(err)}`;
          }
        };
        let ours: Record<string, string> | string;
        try {
          ours = fieldsOf(state);
        } catch (err) {
          ours = `throws ${String(err)}`;
        }
        const expected = library((l) => [["r", l.remaining], ["t", l.reset]]);
        if (typeof ours === "string") expect(ours).toBe(expected);
        else {
          expect(ours.RateLimit).toBe(expected);
          expect(ours["RateLimit-Policy"]).toBe(library((l) => [["q", l.limit], ["w", l.window_seconds]]));
        }
      }),
    );
  });
});
