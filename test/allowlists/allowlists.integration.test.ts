import { describe, expect, it } from "vitest";
import { call, createKey, createPartner, me, partnerWithKey } from "../helpers";


describe("Origin allowlist", () => {
  it("admits the key's own origins and refuses lookalikes with 403 origin_not_allowed", async () => {
    const { key } = await partnerWithKey({ allowed_origins: ["https://partner.example", "http://localhost:3000"] });
    expect((await me(key, { origin: "https://partner.example" })).status).toBe(200);
    expect((await me(key, { origin: "http://localhost:3000" })).status).toBe(200);
    for (const origin of [
      "https://partner.example.evil.com", "https://evil-partner.example", "null", "http://partner.example",
      "https://partner.example:8443", "https://partner.example/", "http://localhost:3001", "https://PARTNER.EXAMPLE",
    ]) {
      const res = await me(key, { origin });
      expect(res.status, origin).toBe(403);
      expect(res.body.code).toBe("origin_not_allowed");
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    }
  });

  it("refuses browser calls for a key with no origins anywhere, but not server calls", async () => {
    const { key } = await partnerWithKey();
    expect((await me(key, { origin: "https://partner.example" })).body.code).toBe("origin_not_allowed");
    expect((await me(key)).status).toBe(200);
  });

  it("falls back to the partner's origins when the key has none", async () => {
    const p = await createPartner({ allowed_origins: ["https://shop.example"] });
    const inherits = await createKey(p.id);
    expect((await me(inherits.key, { origin: "https://shop.example" })).status).toBe(200);
    const own = await createKey(p.id, { allowed_origins: ["https://other.example"] });
    expect((await me(own.key, { origin: "https://shop.example" })).status).toBe(403);
    expect((await me(own.key, { origin: "https://other.example" })).status).toBe(200);
  });

  it("does not count refused requests against the rate limit", async () => {
    const { key } = await partnerWithKey({ rate_limit_tier: "tiny", allowed_origins: ["https://a.example"] });
    for (let i = 0; i < 8; i++) expect((await me(key, { origin: "https://b.example" })).status).toBe(403);
    expect((await me(key)).headers.get("ratelimit-remaining")).toBe("4");
  });

  it("applies a changed origin list on the next request", async () => {
    const { key, apiKey } = await partnerWithKey({ allowed_origins: ["https://a.example"] });
    expect((await me(key, { origin: "https://b.example" })).status).toBe(403);
    await call(`/v1/keys/${apiKey.id}`, { method: "PATCH", body: { allowed_origins: ["https://b.example"] } });
    expect((await me(key, { origin: "https://b.example" })).status).toBe(200);
    expect((await me(key, { origin: "https://a.example" })).status).toBe(403);
  });

  it("reports a revoked key as 401, not as an origin problem", async () => {
    const { key, apiKey } = await partnerWithKey({ allowed_origins: ["https://a.example"] });
    await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST" });
    expect((await me(key, { origin: "https://b.example" })).status).toBe(401);
  });
});

describe("IP allowlist", () => {
  const ips = ["172.16.0.0/12", "127.0.0.1", "2001:db8::/32"];

  it("admits listed addresses and networks by CF-Connecting-IP, including IPv4-mapped IPv6", async () => {
    const { key } = await partnerWithKey({ allowed_ips: ips });
    for (const ip of ["172.16.0.1", "172.31.255.255", "127.0.0.1", "2001:db8::42", "::ffff:172.20.1.1", "2001:DB8:0::1"]) {
      expect((await me(key, { "cf-connecting-ip": ip })).status, ip).toBe(200);
    }
  });

  it("refuses other, malformed or missing addresses with 403 ip_not_allowed", async () => {
    const { key } = await partnerWithKey({ allowed_ips: ips });
    for (const ip of ["172.32.0.1", "127.0.0.2", "2001:db9::1", "0177.0.0.1", "127.1", "0x7f.0.0.1", "2130706433", "fe80::1%eth0", "", "garbage"]) {
      const res = await me(key, { "cf-connecting-ip": ip });
      expect(res.status, ip).toBe(403);
      expect(res.body.code).toBe("ip_not_allowed");
    }
    expect((await me(key)).body.code).toBe("ip_not_allowed");
  });

  it("ignores X-Forwarded-For, X-Real-IP and friends", async () => {
    const { key } = await partnerWithKey({ allowed_ips: ["10.0.0.0/8"] });
    const spoofed = { "x-forwarded-for": "10.0.0.1", "x-real-ip": "10.0.0.1", "true-client-ip": "10.0.0.1", forwarded: "for=10.0.0.1" };
    expect((await me(key, spoofed)).status).toBe(403);
    expect((await me(key, { ...spoofed, "cf-connecting-ip": "203.0.113.9" })).status).toBe(403);
    expect((await me(key, { "cf-connecting-ip": "10.9.9.9", "x-forwarded-for": "203.0.113.9" })).status).toBe(200);
  });

  it("puts no restriction on a key without a list", async () => {
    const { key } = await partnerWithKey();
    expect((await me(key, { "cf-connecting-ip": "203.0.113.9" })).status).toBe(200);
    expect((await me(key)).status).toBe(200);
  });
});

describe("User-Agent allowlist", () => {
  it("matches product tokens: App, App/1.2 and App/1.2 (x), never AppX or Other App", async () => {
    const { key } = await partnerWithKey({ allowed_agents: ["MineSkin-Test-App"] });
    for (const ua of ["MineSkin-Test-App", "MineSkin-Test-App/1.2", "MineSkin-Test-App/1.2 (linux)"]) {
      expect((await me(key, { "user-agent": ua })).status, ua).toBe(200);
    }
    for (const ua of ["MineSkin-Test-AppX", "Other MineSkin-Test-App", "curl/8.0"]) {
      const res = await me(key, { "user-agent": ua });
      expect(res.status, ua).toBe(403);
      expect(res.body.code).toBe("agent_not_allowed");
    }
  });

  it("takes MineSkin-User-Agent over User-Agent, for browsers that cannot set the latter", async () => {
    const { key } = await partnerWithKey({ allowed_agents: ["ExampleApp"] });
    expect((await me(key, { "user-agent": "Mozilla/5.0", "mineskin-user-agent": "ExampleApp/v1.0" })).status).toBe(200);
    expect((await me(key, { "user-agent": "ExampleApp/1", "mineskin-user-agent": "Other/1" })).status).toBe(403);
  });

  it("refuses agent lists that are not product names on write", async () => {
    const p = await createPartner();
    const res = await call(`/v1/partners/${p.id}/keys`, { body: { name: "k", type: "secret", allowed_agents: ["App/1.0"] } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("validation_error");
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(["allowed_agents.0"]);
  });
});
