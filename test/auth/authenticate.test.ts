import { describe, expect, it } from "vitest";
import { mintKey } from "../../src/keys/crypto";
import { manualClock } from "../clock";
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

  it("gives unknown, forged, wrong-secret, revoked, expired, suspended-partner and missing keys one identical 401 body", async () => {
    const clock = manualClock();
    const { key, apiKey } = await partnerWithKey();
    // Expired: valid for one more minute, then the clock passes its expires_at.
    const { key: expired } = await partnerWithKey({ expires_at: new Date(clock.now() + 60_000).toISOString() });
    expect((await call("/v1/me/key", { auth: expired })).status).toBe(200);
    // Suspended: its partner is suspended after it worked once.
    const { partner: suspendedPartner, key: suspended } = await partnerWithKey();
    expect((await call("/v1/me/key", { auth: suspended })).status).toBe(200);
    expect((await call(`/v1/partners/${suspendedPartner.id}`, { method: "PATCH", body: { status: "suspended" } })).status).toBe(200);
    const { key: revoked, apiKey: revokedKey } = await partnerWithKey();
    expect((await call(`/v1/keys/${revokedKey.id}/revoke`, { method: "POST" })).status).toBe(200);
    const wrongPepper = (await mintKey("not-our-pepper", "kw", "secret")).full;
    const rotated = (await call(`/v1/keys/${apiKey.id}/rotate`, { method: "POST" })).body.key as string;
    expect(rotated).toMatch(/^kw_sk_/);
    expect(rotated).not.toBe(key);
    clock.advance(60_000);
    const candidates: (string | null)[] = [
      null, "", "garbage", key /* rotated out */, revoked, expired, suspended, wrongPepper, key.slice(0, -1),
      `${key.slice(0, 10)}${key[10] === "a" ? "b" : "a"}${key.slice(11)}`, "kw_sk_" + "0".repeat(46),
    ];
    const bodies: Record<string, unknown>[] = [];
    for (const credential of candidates) {
      const res = await call("/v1/me/key", { auth: credential });
      expect(res.status, String(credential)).toBe(401);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      bodies.push(stripRequestId(res.body));
    }
    bodies.forEach((body, i) => expect(body, String(candidates[i])).toEqual(bodies[0]));
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
