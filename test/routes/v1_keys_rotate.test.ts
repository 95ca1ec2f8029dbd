import { describe, expect, it } from "vitest";
import { manualClock } from "../clock";
import { call, partnerWithKey } from "../helpers";

describe("rotate key", () => {
  it("without grace: the new secret works and the old one is refused on the next request", async () => {
    const { key: old, apiKey } = await partnerWithKey();
    const res = await call(`/v1/keys/${apiKey.id}/rotate`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(res.body.key).not.toBe(old);
    expect(res.body.api_key.id).toBe(apiKey.id);
    expect(res.body.api_key.last_four).toBe(res.body.key.slice(-4));
    expect(res.body.api_key.secret_rotated_at).toEqual(expect.any(String));
    expect((await call("/v1/me/key", { auth: old })).status).toBe(401);
    expect((await call("/v1/me/key", { auth: res.body.key })).status).toBe(200);
  });

  it("with grace: both secrets work until the grace period ends, and only the new one after it", async () => {
    const clock = manualClock();
    const { key: old, apiKey } = await partnerWithKey();
    const res = await call(`/v1/keys/${apiKey.id}/rotate`, { body: { grace_period_seconds: 60 } });
    clock.advance(59_000);
    expect((await call("/v1/me/key", { auth: old })).status).toBe(200);
    expect((await call("/v1/me/key", { auth: res.body.key })).status).toBe(200);
    clock.advance(1_000);
    expect((await call("/v1/me/key", { auth: old })).status).toBe(401);
    expect((await call("/v1/me/key", { auth: res.body.key })).status).toBe(200);
  });

  it("a second rotation during grace retires the oldest secret at once", async () => {
    const { key: first, apiKey } = await partnerWithKey();
    const second = (await call(`/v1/keys/${apiKey.id}/rotate`, { body: { grace_period_seconds: 3600 } })).body.key;
    const third = (await call(`/v1/keys/${apiKey.id}/rotate`, { body: { grace_period_seconds: 3600 } })).body.key;
    expect((await call("/v1/me/key", { auth: first })).status).toBe(401);
    expect((await call("/v1/me/key", { auth: second })).status).toBe(200);
    expect((await call("/v1/me/key", { auth: third })).status).toBe(200);
  });

  it("refuses to rotate a revoked key and validates the grace period", async () => {
    const { apiKey } = await partnerWithKey();
    expect((await call(`/v1/keys/${apiKey.id}/rotate`, { body: { grace_period_seconds: -1 } })).status).toBe(400);
    await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST" });
    expect((await call(`/v1/keys/${apiKey.id}/rotate`, { method: "POST" })).status).toBe(409);
  });
});
