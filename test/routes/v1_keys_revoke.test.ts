import { describe, expect, it } from "vitest";
import { call, partnerWithKey } from "../helpers";

describe("revoke key", () => {
  it("refuses the key on the very next request and records who revoked it", async () => {
    const { key, apiKey } = await partnerWithKey();
    expect((await call("/v1/me/key", { auth: key })).status).toBe(200);
    const res = await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "revoked", revoked_by: "operator" });
    expect((await call("/v1/me/key", { auth: key })).status).toBe(401);
  });

  it("also kills a secret still inside a rotation grace period", async () => {
    const { key: old, apiKey } = await partnerWithKey();
    const fresh = (await call(`/v1/keys/${apiKey.id}/rotate`, { body: { grace_period_seconds: 3600 } })).body.key;
    await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST" });
    expect((await call("/v1/me/key", { auth: old })).status).toBe(401);
    expect((await call("/v1/me/key", { auth: fresh })).status).toBe(401);
  });

  it("is idempotent: a second revoke returns the same state and adds no audit event", async () => {
    const { partner, apiKey } = await partnerWithKey();
    const first = await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST" });
    const second = await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST" });
    expect(second.body.revoked_at).toBe(first.body.revoked_at);
    const events = await call(`/v1/partners/${partner.id}/audit-events`);
    expect(events.body.data.filter((e: { action: string }) => e.action === "key.revoked")).toHaveLength(1);
  });

  it("a key may revoke itself, after which it is refused", async () => {
    const { key, apiKey } = await partnerWithKey({ scopes: ["keys:write"] });
    expect((await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST", auth: key })).body.revoked_by).toBe(apiKey.id);
    expect((await call(`/v1/keys/${apiKey.id}`, { auth: key })).status).toBe(401);
  });
});
