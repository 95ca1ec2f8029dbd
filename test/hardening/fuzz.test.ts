import fc from "fast-check";
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { mintKey } from "../../src/keys/crypto";
import { ERROR_CODES, isErrorCode } from "../../src/lib/errors";
import { ADMIN, call, createKey, createPartner, createUser, env, requestToken } from "../helpers";
import { newDeliveryId } from "../../src/db/deliveries";

/**
 * An endpoint of the partner (a public https URL: nothing is delivered in the fuzz) with one
 * finished attempt of an event of the partner, so the delivery routes have something real to act on.
 */
async function webhookWithDelivery(partnerId: string, keyId?: string) {
  const res = await call(`/v1/partners/${partnerId}/webhooks`, { body: { url: "https://hooks.fuzz.example/in", events: ["credits.low"] } });
  const subject = keyId ?? (await createKey(partnerId)).api_key.id;
  const event = await env.DB.prepare("SELECT id FROM events WHERE subject_id = ?1 AND type = 'key.created'").bind(subject).first<{ id: string }>();
  const deliveryId = newDeliveryId();
  await env.DB.prepare("INSERT INTO webhook_deliveries (id, webhook_id, event_id, type, attempt, state, scheduled_at, ok) VALUES (?1, ?2, ?3, 'key.created', 1, 'delivered', ?4, 1)")
    .bind(deliveryId, res.body.webhook.id, event!.id, new Date().toISOString())
    .run();
  return { webhookId: res.body.webhook.id as string, deliveryId };
}

// Every generated request must end in a 2xx-4xx, and every 4xx of the canonical API must be
// problem+json with a stable code. Seed routes and /oauth2/token keep their own JSON bodies.
const RUNS = 3000;

const TEMPLATES = [
  "/healthz", "/openapi.json", "/docs", "/v1/partners", "/v1/partners/{p}", "/v1/partners/{p}/users", "/v1/partners/{p}/keys",
  "/v1/partners/{p}/audit-events", "/v1/audit-events", "/v1/users/{u}", "/v1/keys/{k}", "/v1/keys/{k}/rotate", "/v1/keys/{k}/revoke", "/v1/keys/verify",
  "/v1/me/key", "/v1/me/partner", "/v1/leaks", "/oauth2/token", "/api/public/v1/me/partner", "/v2/me/apikey", "/v1/api-keys/{p}", "/v1/api-keys/{k}",
  "/.well-known/oauth-authorization-server", "/{x}", "/v1/{x}", "/v1/keys/{x}/{x}",
  "/v1/partners/{p}/webhooks", "/v1/webhooks", "/v1/webhooks/{w}", "/v1/webhooks/{w}/rotate-secret", "/v1/webhooks/{w}/deliveries",
  "/v1/webhooks/{w}/deliveries/{d}/redeliver",
];
const OWN_BODIES = /^\/(oauth2\/token|api\/public\/|v2\/|v1\/api-keys\/)/;

interface World {
  partner: string;
  user: string;
  keyId: string;
  webhook: string;
  delivery: string;
  credentials: (string | null)[];
  /**
   * Stand-ins a mutating request gets in place of the ids above: a generated PATCH or revoke must
   * not change the objects (and credentials) every later case, and every replay of a failing
   * seed, depends on.
   */
  standIns: Map<string, string>;
}

const MUTATING = new Set(["POST", "PATCH", "PUT", "DELETE"]);

const ascii = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });
const unicode = fc.string({ unit: "grapheme", maxLength: 40 });
const segment = fc.oneof(ascii, unicode, fc.constantFrom("", "..", "%00", "%2F", "key_0000000000000000", "x".repeat(300), "null", "-1"));

function requestArbitrary(w: World) {
  const value = fc.oneof(
    fc.constantFrom(w.partner, w.user, w.keyId, w.webhook, w.delivery),
    segment,
    fc.oneof(fc.uuid(), fc.constant("key_AAAAAAAAAAAAAAAA")),
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
        cost: fc.oneof(fc.integer(), fc.double()), id: ascii, partner_id: ascii, created_by: ascii, last_used_at: ascii,
        status: fc.oneof(ascii, fc.constantFrom("active", "deactivated", "suspended")), role: fc.oneof(ascii, fc.constant("VIEWER")),
        permissions: fc.oneof(fc.array(fc.oneof(ascii, unicode), { maxLength: 5 }), ascii),
        url: fc.oneof(fc.webUrl(), ascii, fc.constantFrom("https://127.0.0.1/x", "http://localhost:1/x", "https://a.internal/")),
        events: fc.oneof(fc.array(fc.oneof(ascii, fc.constantFrom("key.created", "credits.low", "user.created")), { maxLength: 5 }), ascii),
        description: fc.oneof(ascii, unicode, fc.constant(null)),
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
    const secret = await createKey(partner.id, { scopes: ["keys:read", "keys:write", "keys:verify", "users:read", "users:write", "audit:read", "webhooks:read", "webhooks:write"] });
    const publishable = await createKey(partner.id, { type: "publishable", allowed_origins: ["https://app.example"] });
    const revoked = await createKey(partner.id);
    await call(`/v1/keys/${revoked.api_key.id}/revoke`, { method: "POST" });
    const token = await requestToken(secret.api_key.id, secret.key);
    const forged = (await mintKey("attacker", "kw", "secret")).full;
    const standIn = await createPartner();
    const standInUser = await createUser(standIn.id);
    const standInKey = await createKey(standIn.id);
    const hook = await webhookWithDelivery(partner.id, secret.api_key.id);
    const standInHook = await webhookWithDelivery(standIn.id, standInKey.api_key.id);
    world = {
      partner: partner.id,
      user: user.id,
      keyId: secret.api_key.id,
      webhook: hook.webhookId,
      delivery: hook.deliveryId,
      credentials: [null, ADMIN, secret.key, publishable.key, revoked.key, token.body.access_token, forged, "garbage", "", "a.b.c"],
      standIns: new Map([
        [partner.id, standIn.id],
        [user.id, standInUser.id],
        [secret.api_key.id, standInKey.api_key.id],
        [hook.webhookId, standInHook.webhookId],
        [hook.deliveryId, standInHook.deliveryId],
      ]),
    };
  });

  it(`answers ${RUNS} generated requests without a single 5xx, every canonical 4xx as problem+json`, async () => {
    await fc.assert(
      fc.asyncProperty(requestArbitrary(world), async (r) => {
        let i = 0;
        const idFor = (value: string) => (MUTATING.has(r.method) ? (world.standIns.get(value) ?? value) : value);
        const path = r.template.replace(/\{[a-z]\}/g, () => encodeURIComponent(idFor(r.values[i++ % 3]!)));
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
          // A code is a promise: it is in the one list (src/lib/errors.ts) and always travels with its status.
          const code: string = body.code;
          expect(isErrorCode(code) && ERROR_CODES[code].status, `${code} on ${res.status}`).toBe(res.status);
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

/**
 * Schema-driven: requests generated from /openapi.json itself, as a fuzzer or a generated client
 * would send them. Whatever the document allows, the server must accept; it may still refuse on
 * grounds no schema can state: who is asking (401/403), what exists or is visible (404), the
 * objects' current state (409), rate limits (429). Path ids and `user_id` come from existing
 * objects (as a fuzzer's links would give them); a `cursor` is omitted or empty, since a
 * non-empty one is opaque server state.
 */
const SAMPLES_PER_OPERATION = 25;

/**
 * Rules across fields that JSON Schema cannot state, stated in the operation's description instead:
 * a 400 naming only these fields is the documented rule, not a schema that says less than the server.
 */
const CROSS_FIELD_RULES: Record<string, readonly string[]> = {
  // A range has `from` before `to` and at most 1,440 minute / 2,160 hour / 730 day buckets.
  getKeyUsage: ["from", "to"],
  getPartnerUsage: ["from", "to"],
};
const isCrossFieldRule = (operationId: string, res: { status: number; body: any }) =>
  res.status === 400 &&
  res.body?.code === "validation_error" &&
  Array.isArray(res.body.errors) &&
  res.body.errors.length > 0 &&
  res.body.errors.every((e: { path: string }) => CROSS_FIELD_RULES[operationId]?.includes(e.path));

describe("fuzz: requests generated from the OpenAPI document", () => {
  it(`are accepted whenever the document allows them (${SAMPLES_PER_OPERATION} per operation)`, async () => {
    const { SchemaArbitraries } = await import("./from-schema");
    const doc = (await call("/openapi.json", { auth: null })).body;
    const arbs = new SchemaArbitraries(doc);
    const partner = await createPartner({ scopes: ["keys:read", "keys:write", "keys:verify", "users:read", "users:write", "audit:read"] });
    const victim = await createPartner();
    const user = await createUser(partner.id);
    const caller = await createKey(partner.id, { scopes: ["keys:read", "keys:write", "keys:verify", "users:read", "users:write", "audit:read"] });
    const ownHook = await webhookWithDelivery(partner.id, caller.api_key.id);
    const tally = { accepted: 0, refusedBySchemaRules: 0, excluded: 0 };
    const refusals: string[] = [];

    for (const [template, ops] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        const samples = fc.sample(
          fc.record({
            params: fc.record(
              Object.fromEntries(
                (op.parameters ?? [])
                  .filter((p: any) => p.in !== "path" && p.name !== "cursor")
                  .map((p: any) => [p.name, p.required ? arbs.of(p.schema, p.name) : fc.option(arbs.of(p.schema, p.name), { nil: undefined })]),
              ),
            ),
            cursor: fc.option(fc.constant(""), { nil: undefined }),
            body: (() => {
              const rb = op.requestBody ? arbs.resolve(op.requestBody) : undefined;
              const media = rb?.content?.["application/json"] ?? rb?.content?.["application/x-www-form-urlencoded"];
              return media ? arbs.of(media.schema) : fc.constant(undefined);
            })(),
          }),
          SAMPLES_PER_OPERATION,
        );
        for (const sample of samples) {
          // Path ids: real objects. A mutated key is a fresh one, so samples do not revoke each other's.
          const fresh = method !== "get" && template.includes("{key_id}") ? (await createKey(partner.id)).api_key.id : caller.api_key.id;
          // A mutated endpoint is a fresh one too (of a fresh partner: a partner holds at most 20).
          const hook = template.includes("{webhook_id}") ? (method === "get" ? ownHook : await webhookWithDelivery((await createPartner()).id)) : null;
          const ids: Record<string, string> = {
            partner_id: method === "patch" ? victim.id : partner.id,
            key_id: fresh,
            user_id: user.id,
            id: samples.indexOf(sample) % 2 ? partner.id : caller.api_key.id,
            ...(hook && { webhook_id: hook.webhookId, delivery_id: hook.deliveryId }),
          };
          const path = template.replace(/\{(\w+)\}/g, (_, name: string) => ids[name]!);
          const query = new URLSearchParams();
          const headers: Record<string, string> = {};
          for (const p of op.parameters ?? []) {
            const value = sample.params[p.name];
            if (value === undefined) continue;
            if (p.in === "query") query.set(p.name, String(value));
            if (p.in === "header") headers[p.name] = String(value).replace(/[^\x20-\x7e]/g, "x").trim() || "ExampleApp";
          }
          if (sample.cursor !== undefined && (op.parameters ?? []).some((p: any) => p.name === "cursor")) query.set("cursor", "");
          let body = sample.body as any;
          if (body && typeof body === "object" && typeof body.user_id === "string") body.user_id = user.id;
          const security: object[] = op.security ?? [];
          const auth = security.some((s) => "operator" in s) ? ADMIN : security.some((s) => "apiKey" in s) ? caller.key : null;
          if (op.requestBody && arbs.resolve(op.requestBody).content["application/x-www-form-urlencoded"]) {
            headers["content-type"] = "application/x-www-form-urlencoded";
            body = new URLSearchParams(body as Record<string, string>).toString();
          }
          const res = await call(`${path}${query.size ? `?${query}` : ""}`, { method: method.toUpperCase(), auth, body, headers });
          if (res.status < 300) tally.accepted++;
          else if ([401, 403, 404, 409, 429].includes(res.status) || isCrossFieldRule(op.operationId, res)) tally.excluded++;
          else {
            tally.refusedBySchemaRules++;
            refusals.push(`${op.operationId} ${res.status} ${res.text.slice(0, 300)} ← ${JSON.stringify(sample).slice(0, 400)}`);
          }
        }
      }
    }
    const total = tally.accepted + tally.refusedBySchemaRules + tally.excluded;
    process.stderr.write(
      `schema fuzz: ${total} requests, ${tally.accepted} accepted, ${tally.refusedBySchemaRules} refused although the document allows them, ${tally.excluded} refused for who/what/state\n`,
    );
    for (const r of refusals) process.stderr.write(`REFUSED ${r}\n`);
    expect(refusals).toEqual([]);
  }, 600_000);
});
