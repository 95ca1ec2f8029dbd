import fc from "fast-check";
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { mintKey } from "../../src/keys/crypto";
import { ADMIN, call, createKey, createPartner, createUser } from "../helpers";

// Every generated request must end in a 2xx-4xx, and every 4xx of the canonical API must be
// problem+json with a stable code. Seed routes and /oauth2/token keep their own JSON bodies.
const RUNS = 3000;

const TEMPLATES = [
  "/healthz", "/openapi.json", "/docs", "/v1/partners", "/v1/partners/{p}", "/v1/partners/{p}/users", "/v1/partners/{p}/keys",
  "/v1/partners/{p}/audit-events", "/v1/users/{u}", "/v1/keys/{k}", "/v1/keys/{k}/rotate", "/v1/keys/{k}/revoke", "/v1/keys/verify",
  "/v1/me/key", "/v1/me/partner", "/oauth2/token", "/api/public/v1/me/partner", "/v2/me/apikey", "/v1/api-keys/{p}", "/v1/api-keys/{k}",
  "/{x}", "/v1/{x}", "/v1/keys/{x}/{x}",
];
const OWN_BODIES = /^\/(oauth2\/token|api\/public\/|v2\/|v1\/api-keys\/)/;

interface World {
  partner: string;
  user: string;
  keyId: string;
  credentials: (string | null)[];
}

const ascii = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });
const unicode = fc.string({ unit: "grapheme", maxLength: 40 });
const segment = fc.oneof(ascii, unicode, fc.constantFrom("", "..", "%00", "%2F", "key_0000000000000000", "x".repeat(300), "null", "-1"));

function requestArbitrary(w: World) {
  const value = fc.oneof(
    fc.constantFrom(w.partner, w.user, w.keyId),
    segment,
    fc.constantFrom(crypto.randomUUID(), "key_AAAAAAAAAAAAAAAA"),
  );
  const json = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.record(
      {
        slug: fc.oneof(ascii, unicode), name: fc.oneof(ascii, unicode, fc.integer()), type: fc.constantFrom("secret", "publishable", "x", 1),
        scopes: fc.oneof(fc.array(fc.oneof(ascii, unicode), { maxLength: 150 }), ascii), key: fc.oneof(ascii, fc.constant(w.credentials[2] ?? "")),
        expires_at: fc.oneof(ascii, fc.constant("2001-01-01"), fc.date().map((d) => (isNaN(d.getTime()) ? "x" : d.toISOString()))),
        allowed_ips: fc.array(ascii, { maxLength: 5 }), allowed_origins: fc.array(fc.oneof(ascii, fc.webUrl()), { maxLength: 5 }),
        credits_remaining: fc.oneof(fc.integer(), fc.double(), fc.constant(null)), grace_period_seconds: fc.oneof(fc.integer(), ascii),
        cost: fc.oneof(fc.integer(), fc.double()), id: ascii, partner_id: ascii, status: ascii, created_by: ascii, last_used_at: ascii,
      },
      { requiredKeys: [] },
    ),
  );
  return fc.record({
    method: fc.constantFrom("GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS", "HEAD"),
    template: fc.constantFrom(...TEMPLATES),
    values: fc.array(value, { minLength: 3, maxLength: 3 }),
    query: fc.array(fc.tuple(fc.constantFrom("limit", "cursor", "status", "type", "all_permissions", "expand", "x"), fc.oneof(ascii, unicode, fc.constantFrom("0", "101", "-5", "true", "revoked"))), { maxLength: 3 }),
    credential: fc.constantFrom(...w.credentials),
    via: fc.constantFrom("authorization", "x-api-key", "x-apikey", "basic"),
    contentType: fc.constantFrom(undefined, "application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/problem+json"),
    body: fc.option(fc.oneof(json.map((j) => JSON.stringify(j)), ascii, unicode, fc.constant("{"), fc.constant("x".repeat(1024 * 1024 + 1))), { nil: undefined }),
    origin: fc.option(fc.oneof(fc.webUrl(), ascii, fc.constant("null")), { nil: undefined }),
    ip: fc.option(fc.oneof(fc.ipV4(), fc.ipV6(), ascii), { nil: undefined }),
    agent: fc.option(ascii, { nil: undefined }),
    preflight: fc.boolean(),
  });
}

describe("fuzz: malformed requests across every route and credential", () => {
  let world: World;
  const seen = { requests: 0, byStatus: new Map<number, number>() };

  beforeAll(async () => {
    const partner = await createPartner();
    const user = await createUser(partner.id);
    const secret = await createKey(partner.id, { scopes: ["keys:read", "keys:write", "keys:verify", "users:read", "users:write", "audit:read"] });
    const publishable = await createKey(partner.id, { type: "publishable", allowed_origins: ["https://app.example"] });
    const revoked = await createKey(partner.id);
    await call(`/v1/keys/${revoked.api_key.id}/revoke`, { method: "POST" });
    const token = await call("/oauth2/token", {
      auth: null,
      body: `grant_type=client_credentials&client_id=${secret.api_key.id}&client_secret=${secret.key}`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    const forged = (await mintKey("attacker", "kw", "secret")).full;
    world = {
      partner: partner.id,
      user: user.id,
      keyId: secret.api_key.id,
      credentials: [null, ADMIN, secret.key, publishable.key, revoked.key, token.body.access_token, forged, "garbage", "", "a.b.c"],
    };
  });

  it(`answers ${RUNS} generated requests without a single 5xx, every canonical 4xx as problem+json`, async () => {
    await fc.assert(
      fc.asyncProperty(requestArbitrary(world), async (r) => {
        let i = 0;
        const path = r.template.replace(/\{[a-z]\}/g, () => encodeURIComponent(r.values[i++ % 3]!));
        const query = r.query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
        const headers = new Headers();
        if (r.credential !== null) {
          if (r.via === "authorization") headers.set("authorization", `Bearer ${r.credential}`);
          else if (r.via === "basic") headers.set("authorization", `Basic ${btoa(`${world.keyId}:${r.credential}`)}`);
          else headers.set(r.via, r.credential);
        }
        if (r.contentType) headers.set("content-type", r.contentType);
        if (r.origin) headers.set("origin", r.origin);
        if (r.ip) headers.set("cf-connecting-ip", r.ip);
        if (r.agent !== undefined) headers.set("user-agent", r.agent);
        if (r.preflight) headers.set("access-control-request-method", "POST");
        const hasBody = r.body !== undefined && r.method !== "GET" && r.method !== "HEAD";
        const res = await exports.default.fetch(
          new Request(`http://keyward.test${path}${query ? `?${query}` : ""}`, { method: r.method, headers, body: hasBody ? r.body : undefined }),
        );
        const text = await res.text();
        seen.requests++;
        seen.byStatus.set(res.status, (seen.byStatus.get(res.status) ?? 0) + 1);
        expect(res.status, `${r.method} ${path} → ${res.status} ${text.slice(0, 200)}`).toBeLessThan(500);
        if (res.status >= 400 && r.method !== "HEAD" && !OWN_BODIES.test(path)) {
          expect(res.headers.get("content-type"), `${r.method} ${path}`).toContain("application/problem+json");
          const body = JSON.parse(text);
          expect(body).toMatchObject({ status: res.status, code: expect.any(String), request_id: expect.any(String) });
        }
        expect(text).not.toMatch(/\bat [\w.<>]+ \(|\.ts:\d+/);
      }),
      { numRuns: RUNS },
    );
    const summary = [...seen.byStatus.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(" ");
    process.stderr.write(`fuzz: ${seen.requests} requests, statuses ${summary}\n`);
    expect(seen.requests).toBeGreaterThanOrEqual(RUNS);
  }, 600_000);
});
