import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dropIsolateCache } from "../../src/cache/key-records";
import { call, createKey, createPartner, env, partnerWithKey, unique, type Reply } from "../helpers";

/** Every name Object.prototype owns: none of them is a tier unless the operator configured it. */
const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);
const NAMED = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];
/** vitest.config.ts's RATE_LIMIT_TIERS. */
const CONFIGURED = { standard: 1000, premium: 20000, tiny: 5, small: 50 } as const;

type Endpoint = "key create" | "key PATCH" | "partner create" | "partner PATCH";
const ENDPOINTS: Endpoint[] = ["key create", "key PATCH", "partner create", "partner PATCH"];

function expectUnknownTier(res: Reply, label: string) {
  expect([res.status, res.body?.code], `${label}: ${res.text}`).toEqual([400, "validation_error"]);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  expect(res.body.errors.map((e: { path: string }) => e.path), label).toContain("rate_limit_tier");
}

describe("rate_limit_tier names are looked up as own entries only", () => {
  it("__proto__, constructor, toString, hasOwnProperty, valueOf (and every other Object.prototype name) are 400 validation_error at rate_limit_tier on key create, key PATCH, partner create and partner PATCH", async () => {
    expect(PROTOTYPE_NAMES).toEqual(expect.arrayContaining(NAMED));
    const partner = await createPartner();
    const { api_key } = await createKey(partner.id, { name: "tier target" });

    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PROTOTYPE_NAMES), fc.constantFrom(...ENDPOINTS), async (tier, endpoint) => {
        const label = `${endpoint} with rate_limit_tier ${JSON.stringify(tier)}`;
        const slug = unique("tier");
        let res: Reply;
        switch (endpoint) {
          case "key create":
            res = await call(`/v1/partners/${partner.id}/keys`, { body: { name: slug, type: "secret", rate_limit_tier: tier } });
            break;
          case "key PATCH":
            res = await call(`/v1/keys/${api_key.id}`, { method: "PATCH", body: { rate_limit_tier: tier } });
            break;
          case "partner create":
            res = await call("/v1/partners", {
              body: { slug, name: slug, contact_email: `ops@${slug}.example`, website_url: `https://${slug}.example`, rate_limit_tier: tier },
            });
            break;
          case "partner PATCH":
            res = await call(`/v1/partners/${partner.id}`, { method: "PATCH", body: { rate_limit_tier: tier } });
            break;
        }
        expectUnknownTier(res, label);
      }),
      // Every named case on every endpoint, then random draws over all of Object.prototype's names.
      { examples: NAMED.flatMap((tier) => ENDPOINTS.map((endpoint) => [tier, endpoint] as [string, Endpoint])), numRuns: 30 },
    );

    // Nothing was made or changed by any of the refusals.
    expect((await call(`/v1/keys/${api_key.id}`)).body.rate_limit_tier).toBeNull();
    expect((await call(`/v1/partners/${partner.id}`)).body.rate_limit_tier).toBe("standard");
    const keys = (await call(`/v1/partners/${partner.id}/keys?limit=100`)).body.data;
    expect(keys.map((k: { id: string }) => k.id)).toEqual([api_key.id]);
  });

  it("the refused name is a JSON body's own property, also spelled as a key path (\"__proto__\" in raw JSON text)", async () => {
    const partner = await createPartner();
    // Raw JSON text: a parser that treats "__proto__" specially must still see a string tier.
    const res = await call(`/v1/partners/${partner.id}/keys`, { body: '{"name":"raw","type":"secret","rate_limit_tier":"__proto__"}' });
    expectUnknownTier(res, "raw __proto__");
  });

  it("a configured tier is accepted on key create, key PATCH, partner create and partner PATCH", async () => {
    const partner = await createPartner({ rate_limit_tier: "premium" });
    expect(partner.rate_limit_tier).toBe("premium");
    const { api_key } = await createKey(partner.id, { rate_limit_tier: "small" });
    expect(api_key.rate_limit_tier).toBe("small");
    const patchedKey = await call(`/v1/keys/${api_key.id}`, { method: "PATCH", body: { rate_limit_tier: "tiny" } });
    expect([patchedKey.status, patchedKey.body.rate_limit_tier]).toEqual([200, "tiny"]);
    const patchedPartner = await call(`/v1/partners/${partner.id}`, { method: "PATCH", body: { rate_limit_tier: "standard" } });
    expect([patchedPartner.status, patchedPartner.body.rate_limit_tier]).toEqual([200, "standard"]);
  });
});

describe("RateLimit-Limit is always a number", () => {
  it("a key on each configured tier, its own or its partner's, gets a numeric RateLimit-Limit equal to the tier's limit (never \"undefined\")", async () => {
    for (const [tier, limit] of Object.entries(CONFIGURED)) {
      const own = await partnerWithKey({ rate_limit_tier: tier });
      const inheritedPartner = await createPartner({ rate_limit_tier: tier });
      const inherited = await createKey(inheritedPartner.id);
      for (const [label, key] of [["own", own.key], ["partner's", inherited.key]] as const) {
        const res = await call("/v1/me/key", { auth: key });
        expect(res.status, `${tier} (${label})`).toBe(200);
        for (const name of ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"]) {
          expect(res.headers.get(name), `${tier} (${label}) ${name}`).toMatch(/^\d+$/);
        }
        expect(Number(res.headers.get("ratelimit-limit")), `${tier} (${label})`).toBe(limit);
        expect(res.headers.get("ratelimit-policy")).toBe(`"${tier}";q=${limit};w=60`);
        expect(res.headers.get("ratelimit") ?? "").not.toContain("undefined");
      }
    }
  });

  it("a key whose stored tier is an Object.prototype name (written straight to D1, past the API) is counted under standard, with numeric fields", async () => {
    const { key, apiKey } = await partnerWithKey();
    await env.DB.prepare("UPDATE api_keys SET rate_limit_tier = 'toString', version = version + 1 WHERE id = ?1").bind(apiKey.id).run();
    await env.KEY_CACHE.delete(`key:${apiKey.id}`);
    dropIsolateCache();
    const res = await call("/v1/me/key", { auth: key });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("ratelimit-limit")).toBe("1000");
    expect(res.headers.get("ratelimit-policy")).toBe('"standard";q=1000;w=60');
    for (const name of ["ratelimit-policy", "ratelimit", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"]) {
      expect(res.headers.get(name) ?? "", name).not.toMatch(/undefined|NaN|null/);
    }
  });
});
