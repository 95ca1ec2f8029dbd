import { describe, expect, it } from "vitest";
import { mintKey } from "../../src/keys/crypto";
import { call, partnerWithKey } from "../helpers";

describe("failed-authentication throttle", () => {
  it("answers an address's failures with 429 and Retry-After once it has failed 20 times, with no storage call", async () => {
    const ip = "203.0.113.77";
    const forged = (await mintKey("attacker", "kw", "secret")).full;
    for (let i = 0; i < 20; i++) expect((await call("/v1/me/key", { auth: forged, headers: { "cf-connecting-ip": ip } })).status).toBe(401);
    const blocked = await call("/v1/me/key", { auth: forged, headers: { "cf-connecting-ip": ip } });
    expect(blocked.status).toBe(429);
    expect(blocked.body.code).toBe("too_many_failed_attempts");
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(blocked.headers.get("server-timing")).toMatch(/^total;/);
  });

  it("never refuses a valid key or the operator token, whatever their address did (a shared NAT)", async () => {
    const ip = "203.0.113.79";
    const { key } = await partnerWithKey();
    for (let i = 0; i < 25; i++) await call("/v1/me/key", { auth: "kw_sk_bad", headers: { "cf-connecting-ip": ip } });
    expect((await call("/v1/me/key", { auth: "kw_sk_bad", headers: { "cf-connecting-ip": ip } })).status).toBe(429);
    expect((await call("/v1/me/key", { auth: key, headers: { "cf-connecting-ip": ip } })).status).toBe(200);
    expect((await call("/v1/partners", { headers: { "cf-connecting-ip": ip } })).status).toBe(200);
  });

  it("counts IPv6 clients per /64: a fresh address in the same /64 is throttled, the next /64 is not", async () => {
    for (let i = 0; i < 20; i++) await call("/v1/me/key", { auth: "kw_sk_bad", headers: { "cf-connecting-ip": `2001:db8:7:1::${i + 1}` } });
    const fresh = await call("/v1/me/key", { auth: "kw_sk_bad", headers: { "cf-connecting-ip": "2001:db8:7:1:ffff:1:2:3" } });
    expect([fresh.status, fresh.body.code]).toEqual([429, "too_many_failed_attempts"]);
    const neighbour = await call("/v1/me/key", { auth: "kw_sk_bad", headers: { "cf-connecting-ip": "2001:db8:7:2::1" } });
    expect([neighbour.status, neighbour.body.code]).toEqual([401, "invalid_api_key"]);
  });

  it("counts wrong admin tokens and OAuth2 client failures too", async () => {
    const ip = "203.0.113.78";
    for (let i = 0; i < 10; i++) await call("/v1/partners", { auth: "guess", headers: { "cf-connecting-ip": ip } });
    for (let i = 0; i < 10; i++) {
      await call("/oauth2/token", {
        auth: null,
        body: "grant_type=client_credentials&client_id=key_0000000000000000&client_secret=nope",
        headers: { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": ip },
      });
    }
    expect((await call("/v1/partners", { auth: "guess", headers: { "cf-connecting-ip": ip } })).status).toBe(429);
  });

  it("leaves loopback alone, the address every local client has under wrangler dev", async () => {
    for (const ip of ["127.0.0.1", "::1"]) {
      for (let i = 0; i < 25; i++) await call("/v1/me/key", { auth: "kw_sk_bad", headers: { "cf-connecting-ip": ip } });
      expect((await call("/v1/me/key", { auth: "kw_sk_bad", headers: { "cf-connecting-ip": ip } })).status).toBe(401);
    }
  });

  it("never slows a well-behaved client or other addresses", async () => {
    const { key } = await partnerWithKey();
    for (let i = 0; i < 40; i++) expect((await call("/v1/me/key", { auth: key, headers: { "cf-connecting-ip": "198.51.100.1" } })).status).toBe(200);
    for (let i = 0; i < 25; i++) await call("/v1/me/key", { auth: "kw_sk_bad", headers: { "cf-connecting-ip": "198.51.100.2" } });
    expect((await call("/v1/me/key", { auth: key, headers: { "cf-connecting-ip": "198.51.100.3" } })).status).toBe(200);
  });
});
