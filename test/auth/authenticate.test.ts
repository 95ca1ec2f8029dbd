import { describe, expect, it } from "vitest";
import { mintKey } from "../../src/keys/crypto";
import { call, createPartner, partnerWithKey } from "../helpers";

const stripRequestId = ({ request_id, ...rest }: Record<string, unknown>) => rest;

describe("authentication", () => {
  it("accepts a key in Authorization: Bearer, X-API-Key and Partoo's x-APIKey, in any header case", async () => {
    const { key, apiKey } = await partnerWithKey();
    for (const via of ["authorization", "x-api-key", "x-APIKey"] as const) {
      const res = await call("/v1/me/key", { auth: key, via });
      expect(res.status, via).toBe(200);
      expect(res.body.id).toBe(apiKey.id);
    }
    const lower = await call("/v1/me/key", { auth: null, headers: { "X-APIKEY": key } });
    expect(lower.status).toBe(200);
  });

  it("gives unknown, forged, wrong-secret, revoked, expired and missing keys one identical 401 body", async () => {
    const { key, apiKey } = await partnerWithKey();
    const { key: revoked, apiKey: revokedKey } = await partnerWithKey();
    await call(`/v1/keys/${revokedKey.id}/revoke`, { method: "POST" });
    const wrongPepper = (await mintKey("not-our-pepper", "kw", "secret")).full;
    const rotated = (await call(`/v1/keys/${apiKey.id}/rotate`, { method: "POST" })).body.key as string;
    expect(rotated).not.toBe(key);
    const candidates: (string | null)[] = [
      null, "", "garbage", key /* rotated out */, revoked, wrongPepper, key.slice(0, -1),
      `${key.slice(0, 10)}${key[10] === "a" ? "b" : "a"}${key.slice(11)}`, "kw_sk_" + "0".repeat(46),
    ];
    const bodies = [];
    for (const credential of candidates) {
      const res = await call("/v1/me/key", { auth: credential });
      expect(res.status, String(credential)).toBe(401);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      bodies.push(stripRequestId(res.body));
    }
    for (const body of bodies) expect(body).toEqual(bodies[0]);
    expect(bodies[0]).toMatchObject({ status: 401, code: "invalid_api_key" });
  });

  it("refuses a suspended partner's keys and accepts them again once reactivated", async () => {
    const { partner, key } = await partnerWithKey();
    await call(`/v1/partners/${partner.id}`, { method: "PATCH", body: { status: "suspended" } });
    expect((await call("/v1/me/key", { auth: key })).status).toBe(401);
    await call(`/v1/partners/${partner.id}`, { method: "PATCH", body: { status: "active" } });
    expect((await call("/v1/me/key", { auth: key })).status).toBe(200);
  });

  it("does not accept the admin token as a key, nor a key in the query string", async () => {
    const { key } = await partnerWithKey();
    expect((await call("/v1/me/key")).status).toBe(401);
    expect((await call(`/v1/me/key?api_key=${key}`, { auth: null })).status).toBe(401);
  });

  it("refuses a wrong admin token", async () => {
    expect((await call("/v1/partners", { auth: "test-admin-tokeN" })).status).toBe(401);
    await createPartner();
  });
});
