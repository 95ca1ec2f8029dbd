import { describe, expect, it, vi } from "vitest";
import { ACCESS_TOKEN_TTL_SECONDS, issueAccessToken, readAccessToken } from "../../src/oauth/access-token";
import { manualClock } from "../clock";
import { call, createKey, createUser, env, partnerWithKey, tamper } from "../helpers";
import { newDeliveryId } from "../../src/db/deliveries";
import { receiverPath } from "../events/webhooks/helpers";

const LAST = ["revokeKey", "deleteWebhook"];

const FORM = { "content-type": "application/x-www-form-urlencoded" };
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const token = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
  call("/oauth2/token", { auth: null, body: form(fields), headers: { ...FORM, ...headers } });
const basic = (id: string, secret: string) => ({ authorization: `Basic ${btoa(`${id}:${secret}`)}` });

describe("POST /oauth2/token", () => {
  it("issues a short-lived bearer token for client credentials in the form body", async () => {
    const { key, apiKey } = await partnerWithKey({ scopes: ["charges:read", "keys:read"] });
    const res = await token({ grant_type: "client_credentials", client_id: apiKey.id, client_secret: key });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(Object.keys(res.body).sort()).toEqual(["access_token", "expires_in", "scope", "token_type"]);
    expect(res.body).toMatchObject({ token_type: "Bearer", expires_in: 900, scope: "charges:read keys:read" });
    const claims = await readAccessToken("test-pepper", res.body.access_token);
    expect(claims).toMatchObject({ sub: apiKey.id, scope: "charges:read keys:read" });
    expect(res.body.access_token).not.toContain(key.slice(6));
  });

  it("accepts HTTP Basic credentials and narrows scope on request", async () => {
    const { key, apiKey } = await partnerWithKey({ scopes: ["charges:read", "keys:read"] });
    const res = await token({ grant_type: "client_credentials", scope: "keys:read" }, basic(apiKey.id, key));
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe("keys:read");
  });

  it("authenticates every route a key can, within the token's scope", async () => {
    const SCOPES = ["keys:read", "keys:write", "keys:verify", "users:read", "users:write", "audit:read", "webhooks:read", "webhooks:write", "charges:read"];
    const { partner, key, apiKey } = await partnerWithKey({ scopes: SCOPES });
    const user = await createUser(partner.id);
    // Routes on a key act on another key of the partner, so rotating or revoking it leaves the token's own key alone.
    const target = await createKey(partner.id, { scopes: ["charges:read"] });
    const withScope = async (scope: string) => {
      const res = await token({ grant_type: "client_credentials", client_id: apiKey.id, client_secret: key, scope });
      expect(res.status, scope).toBe(200);
      return res.body.access_token as string;
    };
    const full = await withScope(SCOPES.join(" "));
    // Holds none of the scopes a management route asks for.
    const narrow = await withScope("charges:read");

    const doc = (await call("/openapi.json", { auth: null })).body;
    const operations = Object.entries(doc.paths as Record<string, Record<string, any>>)
      .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })))
      .filter(({ op }) => (op.security ?? []).some((r: object) => "apiKey" in r))
      // Revocation and deletion last: the target key and endpoint are used by the routes before them.
      .sort((a, b) => Number(LAST.includes(a.op.operationId)) - Number(LAST.includes(b.op.operationId)));
    expect(operations.map((o) => o.op.operationId)).toEqual(
      expect.arrayContaining([
        "getMyKey", "createKey", "listKeys", "getKey", "updateKey", "rotateKey", "revokeKey", "verifyKey", "getFlexFactorApiKey",
      ]),
    );
    // An endpoint with one finished attempt, so the delivery routes have something to act on.
    const hook = (await call(`/v1/partners/${partner.id}/webhooks`, { body: { url: receiverPath().url, events: ["key.created"] } })).body.webhook;
    const event = await env.DB.prepare("SELECT id FROM events WHERE subject_id = ?1 AND type = 'key.created'").bind(target.api_key.id).first<{ id: string }>();
    const deliveryId = newDeliveryId();
    await env.DB.prepare(
      "INSERT INTO webhook_deliveries (id, webhook_id, event_id, type, attempt, state, scheduled_at, ok) VALUES (?1, ?2, ?3, 'key.created', 1, 'delivered', ?4, 1)",
    )
      .bind(deliveryId, hook.id, event!.id, new Date().toISOString())
      .run();
    const params: Record<string, string> = {
      partner_id: partner.id, user_id: user.id, key_id: target.api_key.id, id: target.api_key.id, webhook_id: hook.id, delivery_id: deliveryId,
    };
    const bodies: Record<string, unknown> = {
      createUser: { first_name: "Token", last_name: "User", email: `${crypto.randomUUID()}@example.com`, role: "R" },
      createKey: { name: "made with a token", type: "secret", scopes: ["charges:read"] },
      updateKey: { name: "renamed with a token" },
      rotateKey: {},
      revokeKey: {},
      verifyKey: { key: target.key },
      createWebhook: { url: receiverPath().url, events: ["key.revoked"] },
      updateWebhook: { description: "changed with a token" },
    };
    for (const { method, path, op } of operations) {
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) => {
        expect(params, `${method} ${path}`).toHaveProperty(name);
        return params[name]!;
      });
      const where = `${method} ${path} (${op.operationId})`;
      const required: string[] = op.security.find((r: object) => "apiKey" in r).apiKey;
      const request = (auth: string) =>
        call(url, { method, auth, headers: { "user-agent": "KeywardTest/1.0" }, ...(method === "GET" ? {} : { body: bodies[op.operationId] ?? {} }) });
      // A token narrowed below the route's scope is authenticated (not 401) but refused for scope.
      if (required.length > 0) {
        const refused = await request(narrow);
        expect(refused.status, `${where}: ${refused.text}`).toBe(403);
        expect(refused.body.code, where).toBe("insufficient_scope");
      }
      const res = await request(full);
      expect(res.status, `${where}: ${res.text}`).not.toBe(401);
      expect([200, 201, 202, 204], `${where}: ${res.status} ${res.text}`).toContain(res.status);
      expect(res.headers.get("ratelimit-limit"), where).toBe("1000");
    }
    const me = await call("/v1/me/key", { auth: full });
    expect(me.body.id).toBe(apiKey.id);
  });

  it("dies with its key: refused on the next request after revocation", async () => {
    const { key, apiKey } = await partnerWithKey();
    const t = (await token({ grant_type: "client_credentials", client_id: apiKey.id, client_secret: key })).body.access_token;
    expect((await call("/v1/me/key", { auth: t })).status).toBe(200);
    await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST" });
    const res = await call("/v1/me/key", { auth: t });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe("invalid_api_key");
  });

  const mint = async (keyId: string, secret: string) =>
    (await token({ grant_type: "client_credentials", client_id: keyId, client_secret: secret })).body.access_token as string;
  const rotate = async (keyId: string, grace: number) =>
    (await call(`/v1/keys/${keyId}/rotate`, { body: { grace_period_seconds: grace } })).body.key as string;
  const status = async (t: string) => (await call("/v1/me/key", { auth: t })).status;

  it("is refused the moment a rotation without grace retires its secret, in the same second it was minted", async () => {
    const { key, apiKey } = await partnerWithKey();
    const t = await mint(apiKey.id, key);
    expect(await status(t)).toBe(200);
    const next = await rotate(apiKey.id, 0);
    expect(await status(t)).toBe(401);
    expect(await status(await mint(apiKey.id, next))).toBe(200);
  });

  it("lives through a grace period, and a second rotation does not bring a retired secret's tokens back", async () => {
    const { key, apiKey } = await partnerWithKey();
    const first = await mint(apiKey.id, key);
    const second = await rotate(apiKey.id, 3600);
    expect(await status(first)).toBe(200);
    const fromSecond = await mint(apiKey.id, second);
    // The second rotation keeps the second secret in grace and retires the first for good.
    await rotate(apiKey.id, 3600);
    expect(await status(first)).toBe(401);
    expect(await status(fromSecond)).toBe(200);
  });

  it("minted with the old secret during a grace period, dies when that grace period ends", async () => {
    const clock = manualClock();
    const { key, apiKey } = await partnerWithKey();
    const rotatedAt = clock.now();
    const next = await rotate(apiKey.id, 60);
    // The Worker dates the rotation by its clock; the grace period runs from there.
    expect(Date.parse((await call(`/v1/keys/${apiKey.id}`)).body.secret_rotated_at)).toBe(rotatedAt);
    clock.advance(30_000);
    const fromOld = await mint(apiKey.id, key);
    const fromNew = await mint(apiKey.id, next);
    expect(await status(fromOld)).toBe(200);
    clock.advance(29_999); // the last millisecond of grace
    expect(await status(fromOld)).toBe(200);
    clock.advance(1); // grace over: the old secret, and every token it minted, is retired
    expect(await status(fromOld)).toBe(401);
    expect((await call("/v1/me/key", { auth: key })).status).toBe(401);
    expect(await status(fromNew)).toBe(200);
  });

  it("refuses a token once the lifetime the Worker gave it is over, and a foreign-signed one", async () => {
    const { key, apiKey } = await partnerWithKey();
    const before = Math.floor(Date.now() / 1000);
    const res = await token({ grant_type: "client_credentials", client_id: apiKey.id, client_secret: key });
    const after = Math.ceil(Date.now() / 1000);
    expect(res.status).toBe(200);
    // What the Worker computed: the advertised lifetime, and claims that agree with it.
    const claims = (await readAccessToken("test-pepper", res.body.access_token))!;
    expect(claims).not.toBeNull();
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.iat).toBeLessThanOrEqual(after);
    expect(claims.exp - claims.iat).toBe(res.body.expires_in);
    expect(res.body.expires_in).toBe(ACCESS_TOKEN_TTL_SECONDS);
    expect(await status(res.body.access_token)).toBe(200);

    // Token expiry is read from Date (the JWT's exp), not from src/lib/clock.ts: move Date itself,
    // and the manual clock with it so the key's own rules see the same instant.
    const clock = manualClock(Date.now());
    vi.useFakeTimers({ toFake: ["Date"], now: clock.now() });
    try {
      const at = (second: number) => {
        vi.setSystemTime(second * 1000);
        clock.advance(second * 1000 - clock.now());
      };
      at(claims.exp - 1);
      expect(await status(res.body.access_token)).toBe(200);
      at(claims.exp);
      expect(await status(res.body.access_token)).toBe(401);
      // The key itself lives on; only the token is over.
      expect((await call("/v1/me/key", { auth: key })).status).toBe(200);
    } finally {
      vi.useRealTimers();
    }

    const { secret_hash } = (await env.DB.prepare("SELECT secret_hash FROM api_keys WHERE id = ?1").bind(apiKey.id).first<{ secret_hash: string }>())!;
    const forged = (await issueAccessToken("other-pepper", apiKey.id, secret_hash, [])).token;
    expect(await status(forged)).toBe(401);
  });

  it("answers RFC 6749 §5.2 errors", async () => {
    const { key, apiKey } = await partnerWithKey({ scopes: ["a"] });
    const cases: [Record<string, string>, Record<string, string>, number, string][] = [
      [{ client_id: apiKey.id, client_secret: key }, {}, 400, "invalid_request"],
      [{ grant_type: "password", client_id: apiKey.id, client_secret: key }, {}, 400, "unsupported_grant_type"],
      [{ grant_type: "client_credentials", client_id: apiKey.id, client_secret: tamper(key) }, {}, 401, "invalid_client"],
      [{ grant_type: "client_credentials", client_id: "key_0000000000000000", client_secret: key }, {}, 401, "invalid_client"],
      [{ grant_type: "client_credentials" }, {}, 401, "invalid_client"],
      [{ grant_type: "client_credentials", client_id: apiKey.id, client_secret: key, scope: "a b" }, {}, 400, "invalid_scope"],
      [{ grant_type: "client_credentials", client_id: apiKey.id, client_secret: key }, basic(apiKey.id, key), 400, "invalid_request"],
    ];
    for (const [fields, headers, status, error] of cases) {
      const res = await token(fields, headers);
      expect(res.status, JSON.stringify(fields)).toBe(status);
      expect(res.body).toEqual({ error, error_description: expect.any(String) });
    }
    const wrongBasic = await token({ grant_type: "client_credentials" }, basic(apiKey.id, "wrong"));
    expect(wrongBasic.status).toBe(401);
    expect(wrongBasic.headers.get("www-authenticate")).toContain("Basic");
    const notForm = await call("/oauth2/token", { auth: null, body: "grant_type", headers: { "content-type": "text/plain" } });
    expect(notForm.status).toBe(400);
    expect(notForm.body.error).toBe("invalid_request");
  });

  it("accepts the same parameters as a JSON body, with body or Basic credentials", async () => {
    const { key, apiKey } = await partnerWithKey({ scopes: ["charges:read", "keys:read"] });
    const json = await call("/oauth2/token", { auth: null, body: { grant_type: "client_credentials", client_id: apiKey.id, client_secret: key, scope: "keys:read" } });
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ token_type: "Bearer", scope: "keys:read" });
    const viaBasic = await call("/oauth2/token", { auth: null, body: { grant_type: "client_credentials" }, headers: basic(apiKey.id, key) });
    expect(viaBasic.status).toBe(200);
  });

  it("refuses a repeated parameter with invalid_request (RFC 6749 §3.2), in the body, the query or across both", async () => {
    const { key, apiKey } = await partnerWithKey();
    const good = `grant_type=client_credentials&client_id=${apiKey.id}&client_secret=${key}`;
    const cases: [string, string][] = [
      ["", `${good}&client_id=${apiKey.id}`],
      ["", `grant_type=client_credentials&${good}`],
      ["", `${good}&scope=a&scope=a`],
      [`?client_id=${apiKey.id}`, good],
      ["?scope=a&scope=b", good],
    ];
    for (const [query, body] of cases) {
      const res = await call(`/oauth2/token${query}`, { auth: null, body, headers: FORM });
      expect(res.status, `${query} ${body}`).toBe(400);
      expect(res.body).toEqual({ error: "invalid_request", error_description: expect.any(String) });
      expect(res.headers.get("cache-control")).toBe("no-store");
    }
    const jsonAndQuery = await call(`/oauth2/token?grant_type=client_credentials`, {
      auth: null,
      body: { grant_type: "client_credentials", client_id: apiKey.id, client_secret: key },
    });
    expect(jsonAndQuery.body.error).toBe("invalid_request");
    expect((await call("/oauth2/token", { auth: null, body: good, headers: FORM })).status).toBe(200);
  });

  it("answers a throttled address 429 with Retry-After, in OAuth's error format", async () => {
    const ip = "203.0.113.91";
    const bad = { grant_type: "client_credentials", client_id: "key_0000000000000000", client_secret: "nope" };
    for (let i = 0; i < 20; i++) expect((await token(bad, { "cf-connecting-ip": ip })).status).toBe(401);
    const { key, apiKey } = await partnerWithKey();
    const res = await token({ grant_type: "client_credentials", client_id: apiKey.id, client_secret: key }, { "cf-connecting-ip": ip });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.body).toEqual({ error: "rate_limited", error_description: expect.any(String) });
  });

  it("refuses a revoked key's credentials", async () => {
    const { key, apiKey } = await partnerWithKey();
    await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST" });
    expect((await token({ grant_type: "client_credentials", client_id: apiKey.id, client_secret: key })).body.error).toBe("invalid_client");
  });
});
