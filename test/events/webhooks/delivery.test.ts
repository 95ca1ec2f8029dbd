import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { call, createKey } from "../../helpers";
import { partnerWithWebhook, receivedUntil, type Received } from "./helpers";

const verified = (secret: string, r: Received) => new Webhook(secret).verify(r.body, r.headers) as { type: string; timestamp: string; data: any };

describe("webhook delivery through the real queue", () => {
  it("a receiver on loopback gets each subscribed event once, signed as Standard Webhooks says, with the API's own serialization", async () => {
    const types = ["key.created", "key.updated", "key.rotated", "key.revoked", "partner.updated", "partner.suspended"];
    const { partner, secret, path } = await partnerWithWebhook(types);
    const { api_key } = await createKey(partner.id);
    expect((await call(`/v1/keys/${api_key.id}`, { method: "PATCH", body: { name: "renamed" } })).status).toBe(200);
    expect((await call(`/v1/keys/${api_key.id}/rotate`, { body: { grace_period_seconds: 0 } })).status).toBe(200);
    expect((await call(`/v1/keys/${api_key.id}/revoke`, { method: "POST" })).status).toBe(200);
    expect((await call(`/v1/partners/${partner.id}`, { method: "PATCH", body: { status: "suspended" } })).status).toBe(200);

    const list = await receivedUntil(path, (l) => l.length >= types.length);
    const bodies = list.map((r) => verified(secret, r));
    expect(bodies.map((b) => b.type).sort()).toEqual([...types].sort());
    // The webhook-id is the event's id: distinct per event.
    expect(new Set(list.map((r) => r.headers["webhook-id"])).size).toBe(types.length);
    const created = bodies.find((b) => b.type === "key.created")!;
    expect(created.data.api_key).toMatchObject({ id: api_key.id, partner_id: partner.id, last_four: api_key.last_four });
    expect(JSON.stringify(bodies)).not.toMatch(/secret_hash|"key":/);
    expect(bodies.find((b) => b.type === "partner.suspended")!.data.partner).toMatchObject({ id: partner.id, status: "suspended" });
  }, 60_000);
});
