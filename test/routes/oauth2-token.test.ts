import { describe, expect, it } from "vitest";
import { issueAccessToken, readAccessToken } from "../../src/oauth/access-token";
import { call, partnerWithKey, sleep, tamper } from "../helpers";

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
    const { partner, key, apiKey } = await partnerWithKey({ scopes: ["keys:read", "audit:read"] });
    const narrow = (await token({ grant_type: "client_credentials", client_id: apiKey.id, client_secret: key, scope: "keys:read" })).body.access_token;
    const me = await call("/v1/me/key", { auth: narrow });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(apiKey.id);
    expect(me.headers.get("ratelimit-limit")).toBe("1000");
    expect((await call(`/v1/partners/${partner.id}/keys`, { auth: narrow })).status).toBe(200);
    expect((await call(`/v1/partners/${partner.id}/audit-events`, { auth: narrow })).status).toBe(403);
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

  it("is retired by a rotation without grace, and kept through a grace period", async () => {
    const { key, apiKey } = await partnerWithKey();
    const old = (await token({ grant_type: "client_credentials", client_id: apiKey.id, client_secret: key })).body.access_token;
    await sleep(1100);
    const rotated = (await call(`/v1/keys/${apiKey.id}/rotate`, { body: { grace_period_seconds: 3600 } })).body.key;
    expect((await call("/v1/me/key", { auth: old })).status).toBe(200);
    await call(`/v1/keys/${apiKey.id}/rotate`, { method: "POST" });
    expect((await call("/v1/me/key", { auth: old })).status).toBe(401);
    expect(rotated).toBeTruthy();
  });

  it("refuses an expired or foreign-signed token", async () => {
    const { apiKey } = await partnerWithKey();
    const expired = (await issueAccessToken("test-pepper", apiKey.id, [], Date.now() - 3600_000, 60)).token;
    expect((await call("/v1/me/key", { auth: expired })).status).toBe(401);
    const forged = (await issueAccessToken("other-pepper", apiKey.id, [])).token;
    expect((await call("/v1/me/key", { auth: forged })).status).toBe(401);
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

  it("refuses a revoked key's credentials", async () => {
    const { key, apiKey } = await partnerWithKey();
    await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST" });
    expect((await token({ grant_type: "client_credentials", client_id: apiKey.id, client_secret: key })).body.error).toBe("invalid_client");
  });
});
