import { describe, expect, it } from "vitest";
// Vite's ?raw import, as test/setup.ts reads schema.sql. No type declaration covers this path.
// @ts-ignore -- a raw text module: its default export is the file's contents
import devVars from "../../.dev.vars?raw";
import { ADMIN, call, partnerWithKey, requestToken } from "../helpers";
import { callWith } from "../hardening/faulty-env";

const KEY_HEADERS = ["X-API-Key", "x-APIKey"] as const;

function expectProblem(res: { status: number; headers: Headers; body: any }, status: number, code: string) {
  expect([res.status, res.body?.code], JSON.stringify(res.body)).toEqual([status, code]);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
}

describe("two different credentials in one request", () => {
  it("Authorization: Bearer <key A> plus X-API-Key or x-APIKey: <key B> is 400 conflicting_credentials", async () => {
    const a = await partnerWithKey();
    const b = await partnerWithKey();
    for (const header of KEY_HEADERS) {
      const res = await call("/v1/me/key", { auth: a.key, headers: { [header]: b.key } });
      expectProblem(res, 400, "conflicting_credentials");
      // Neither key's identity leaks into the refusal.
      expect(res.text).not.toContain(a.apiKey.id);
      expect(res.text).not.toContain(b.apiKey.id);
    }
  });

  it("X-API-Key and x-APIKey carrying two different keys (no Authorization) is 400 conflicting_credentials", async () => {
    const a = await partnerWithKey();
    const b = await partnerWithKey();
    // Headers are case-insensitive, so both names would collapse to one in a Headers object:
    // Partoo's spelling and X-API-Key are different header names that can both be present.
    const res = await call("/v1/me/key", { auth: null, headers: { "X-API-Key": a.key, "x-APIKey": b.key } });
    expectProblem(res, 400, "conflicting_credentials");
  });

  it("a valid key plus an invalid second credential is 400 conflicting_credentials, never served as the valid one", async () => {
    const { key } = await partnerWithKey();
    for (const header of KEY_HEADERS) {
      expectProblem(await call("/v1/me/key", { auth: key, headers: { [header]: "garbage" } }), 400, "conflicting_credentials");
      expectProblem(await call("/v1/me/key", { auth: "garbage", headers: { [header]: key } }), 400, "conflicting_credentials");
    }
  });

  it("the operator token plus a partner key is 400 conflicting_credentials on an operator route (a proxy's key decides nothing)", async () => {
    const { key } = await partnerWithKey();
    for (const header of KEY_HEADERS) {
      expectProblem(await call("/v1/partners", { auth: ADMIN, headers: { [header]: key } }), 400, "conflicting_credentials");
      expectProblem(await call("/v1/partners", { auth: key, headers: { [header]: ADMIN } }), 400, "conflicting_credentials");
    }
  });

  it("the same key in Authorization and X-API-Key / x-APIKey is one credential: served 200 on GET /v1/me/key", async () => {
    const { key, apiKey } = await partnerWithKey();
    for (const header of KEY_HEADERS) {
      const res = await call("/v1/me/key", { auth: key, headers: { [header]: key } });
      expect(res.status, header).toBe(200);
      expect(res.body.id).toBe(apiKey.id);
    }
    const all = await call("/v1/me/key", { auth: key, headers: { "X-API-Key": key, "x-APIKey": key } });
    expect(all.status).toBe(200);
    expect(all.body.id).toBe(apiKey.id);
  });

  it("the 400 conflicting_credentials is a problem with errors[] naming the credential headers (DESIGN §3: errors for 400s)", async () => {
    const a = await partnerWithKey();
    const b = await partnerWithKey();
    const res = await call("/v1/me/key", { auth: a.key, headers: { "X-API-Key": b.key } });
    expectProblem(res, 400, "conflicting_credentials");
    expect(Array.isArray(res.body.errors), JSON.stringify(res.body)).toBe(true);
    expect(res.body.errors.length).toBeGreaterThan(0);
    for (const error of res.body.errors) expect(error).toEqual({ path: expect.any(String), message: expect.any(String) });
    expect(res.body.errors.map((e: { path: string }) => e.path).join(" ")).toMatch(/authorization|x-api-?key/i);
  });
});

describe("ADMIN_TOKEN shorter than 32 characters, or unset", () => {
  const SHORT = "short-token";

  it("operator requests with a short ADMIN_TOKEN get 503 not_configured, even when they present that very token", async () => {
    const vars = { ADMIN_TOKEN: SHORT };
    expectProblem(await callWith({}, "/v1/partners", { auth: SHORT, vars }), 503, "not_configured");
    expectProblem(await callWith({}, "/v1/partners", { auth: ADMIN, vars }), 503, "not_configured");
    // Nor can the short token create anything.
    const create = await callWith({}, "/v1/partners", {
      auth: SHORT,
      vars,
      body: { slug: "never-made", name: "x", contact_email: "a@b.example", website_url: "https://b.example" },
    });
    expectProblem(create, 503, "not_configured");
    expect((await call("/v1/partners?limit=100")).body.data.map((p: { slug: string }) => p.slug)).not.toContain("never-made");
  });

  it("the boundary is 32: a 31-character ADMIN_TOKEN is 503 not_configured, a 32-character one is served", async () => {
    const t31 = "x".repeat(31);
    const t32 = "y".repeat(32);
    expectProblem(await callWith({}, "/v1/partners", { auth: t31, vars: { ADMIN_TOKEN: t31 } }), 503, "not_configured");
    const ok = await callWith({}, "/v1/partners?limit=1", { auth: t32, vars: { ADMIN_TOKEN: t32 } });
    expect(ok.status, ok.text).toBe(200);
  });

  it("operator requests with ADMIN_TOKEN unset get 503 not_configured", async () => {
    for (const auth of [ADMIN, SHORT, "x".repeat(40)]) {
      expectProblem(await callWith({}, "/v1/partners", { auth, vars: { ADMIN_TOKEN: undefined } }), 503, "not_configured");
    }
  });

  it("operator requests with an empty ADMIN_TOKEN get 503 not_configured (an empty bearer never matches it)", async () => {
    expectProblem(await callWith({}, "/v1/partners", { auth: SHORT, vars: { ADMIN_TOKEN: "" } }), 503, "not_configured");
    const emptyBearer = await callWith({}, "/v1/partners", { vars: { ADMIN_TOKEN: "" }, headers: { authorization: "Bearer " } });
    expect(emptyBearer.status).not.toBe(200);
  });

  it("a short token on a route open to operator and keys is 503 not_configured, not accepted as the operator", async () => {
    const { apiKey } = await partnerWithKey();
    expectProblem(await callWith({}, `/v1/keys/${apiKey.id}`, { auth: SHORT, vars: { ADMIN_TOKEN: SHORT } }), 503, "not_configured");
  });

  it("a partner key still works in a deployment with a short or unset ADMIN_TOKEN", async () => {
    const { key, apiKey } = await partnerWithKey();
    for (const vars of [{ ADMIN_TOKEN: SHORT }, { ADMIN_TOKEN: undefined }]) {
      const me = await callWith({}, "/v1/me/key", { auth: key, vars });
      expect(me.status, `${JSON.stringify(vars)} ${me.text}`).toBe(200);
      expect(me.body.id).toBe(apiKey.id);
      // Also on a route the operator and keys share.
      const read = await callWith({}, `/v1/keys/${apiKey.id}`, { auth: key, vars });
      expect(read.status, read.text).toBe(200);
    }
  });

  it("the development .dev.vars sets an ADMIN_TOKEN of at least 32 characters", () => {
    const line = (devVars as string).split(/\r?\n/).find((l) => /^\s*ADMIN_TOKEN\s*=/.test(l));
    expect(line, ".dev.vars has an ADMIN_TOKEN line").toBeDefined();
    const value = line!.replace(/^\s*ADMIN_TOKEN\s*=\s*/, "").trim().replace(/^(["'])(.*)\1$/, "$2");
    expect(value.length).toBeGreaterThanOrEqual(32);
  });
});

describe("operator-only routes and access tokens", () => {
  it("an access token from /oauth2/token on an operator-only route is 403 operator_only", async () => {
    const { key, apiKey } = await partnerWithKey();
    const token = await requestToken(apiKey.id, key);
    expect(token.status, token.text).toBe(200);
    const accessToken = token.body.access_token as string;
    const before = Number((await call("/v1/me/key", { auth: accessToken })).headers.get("ratelimit-remaining"));
    for (const [method, path, body] of [
      ["GET", "/v1/partners", undefined],
      ["POST", "/v1/partners", { slug: "by-token", name: "x", contact_email: "a@b.example", website_url: "https://b.example" }],
      ["GET", `/v1/partners/${apiKey.partner_id}`, undefined],
      ["PATCH", `/v1/partners/${apiKey.partner_id}`, { status: "suspended" }],
    ] as const) {
      expectProblem(await call(path, { method, auth: accessToken, body }), 403, "operator_only");
    }
    // The token itself is valid, and the refusals spent nothing of the key's window.
    const me = await call("/v1/me/key", { auth: accessToken });
    expect(me.status).toBe(200);
    expect(Number(me.headers.get("ratelimit-remaining"))).toBe(before - 1);
    // The partner was not suspended by any of it.
    expect((await call(`/v1/partners/${apiKey.partner_id}`)).body.status).toBe("active");
  });

  it("a retired access token on an operator-only route is 401 invalid_api_key, not operator_only", async () => {
    const { key, apiKey } = await partnerWithKey();
    const token = await requestToken(apiKey.id, key);
    await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST" });
    expectProblem(await call("/v1/partners", { auth: token.body.access_token }), 401, "invalid_api_key");
  });
});
