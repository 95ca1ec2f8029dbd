import { describe, expect, it } from "vitest";
import { exports } from "cloudflare:workers";
import { createApp } from "../../src/app";
import { call, env, partnerWithKey } from "../helpers";

describe("GET /.well-known/oauth-authorization-server (RFC 8414)", () => {
  it("describes the token endpoint, client credentials and both client authentication methods", async () => {
    const res = await call("/.well-known/oauth-authorization-server", { auth: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.body).toEqual({
      issuer: "http://keyward.test",
      token_endpoint: "http://keyward.test/oauth2/token",
      grant_types_supported: ["client_credentials"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      scopes_supported: ["keys:read", "keys:write", "keys:verify", "users:read", "users:write", "audit:read", "webhooks:read", "webhooks:write"],
      response_types_supported: [],
    });
  });

  it("takes the issuer from the request's origin by default, and from PUBLIC_ORIGIN when set", async () => {
    const other = await exports.default.fetch(new Request("https://api.example.org:8443/.well-known/oauth-authorization-server"));
    expect(((await other.json()) as { issuer: string }).issuer).toBe("https://api.example.org:8443");
    const app = createApp();
    for (const configured of ["https://keys.example.com", "https://keys.example.com/"]) {
      const res = await app.request("/.well-known/oauth-authorization-server", {}, { ...env, PUBLIC_ORIGIN: configured });
      const body = (await res.json()) as { issuer: string; token_endpoint: string };
      expect(body.issuer).toBe("https://keys.example.com");
      expect(body.token_endpoint).toBe("https://keys.example.com/oauth2/token");
    }
    const doc = await app.request("/openapi.json", {}, { ...env, PUBLIC_ORIGIN: "https://keys.example.com" });
    expect(((await doc.json()) as { servers: unknown }).servers).toEqual([{ url: "https://keys.example.com" }]);
  });

  it("advertises a token endpoint that works as advertised", async () => {
    const meta = (await call("/.well-known/oauth-authorization-server", { auth: null })).body;
    const { key, apiKey } = await partnerWithKey({ scopes: ["keys:read"] });
    const path = new URL(meta.token_endpoint).pathname;
    const post = await call(path, {
      auth: null,
      body: `grant_type=client_credentials&client_id=${apiKey.id}&client_secret=${encodeURIComponent(key)}`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(post.status).toBe(200);
    const basic = await call(path, {
      auth: null,
      body: "grant_type=client_credentials",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa(`${apiKey.id}:${key}`)}` },
    });
    expect(basic.status).toBe(200);
    for (const scope of meta.scopes_supported) expect(scope).toMatch(/^[a-z]+:[a-z]+$/);
  });

  it("is in the OpenAPI document with its operationId", async () => {
    const doc = (await call("/openapi.json", { auth: null })).body;
    expect(doc.paths["/.well-known/oauth-authorization-server"].get.operationId).toBe("getAuthorizationServerMetadata");
  });
});
