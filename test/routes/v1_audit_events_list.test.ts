import { describe, expect, it } from "vitest";
import { call, createKey, createPartner, createUser, partnerWithKey } from "../helpers";

describe("audit events", () => {
  it("records every mutation with actor, target and request id, newest first", async () => {
    const p = await createPartner();
    const user = await createUser(p.id);
    const { api_key } = await createKey(p.id);
    const patch = await call(`/v1/keys/${api_key.id}`, { method: "PATCH", body: { name: "x" } });
    await call(`/v1/keys/${api_key.id}/rotate`, { method: "POST" });
    await call(`/v1/keys/${api_key.id}/revoke`, { method: "POST" });
    await call(`/v1/partners/${p.id}`, { method: "PATCH", body: { name: "y" } });

    const res = await call(`/v1/partners/${p.id}/audit-events`);
    expect(res.status).toBe(200);
    expect(res.body.data.map((e: { action: string }) => e.action)).toEqual([
      "partner.updated", "key.revoked", "key.rotated", "key.updated", "key.created", "user.created", "partner.created",
    ]);
    const updated = res.body.data.find((e: { action: string }) => e.action === "key.updated");
    expect(updated).toMatchObject({ partner_id: p.id, actor: "operator", target_id: api_key.id, request_id: patch.headers.get("x-request-id") });
    expect(Object.keys(updated).sort()).toEqual(["action", "actor", "at", "id", "partner_id", "request_id", "target_id"]);
    expect(res.body.data.find((e: { action: string }) => e.action === "user.created").target_id).toBe(user.id);
  });

  it("names the acting key and paginates", async () => {
    const { partner, key, apiKey } = await partnerWithKey({ scopes: ["keys:write", "audit:read"] });
    for (let i = 0; i < 3; i++) await createKey(partner.id, { scopes: [] }, key);
    const first = await call(`/v1/partners/${partner.id}/audit-events?limit=2`, { auth: key });
    expect(first.body.data.every((e: { actor: string }) => e.actor === apiKey.id)).toBe(true);
    const second = await call(`/v1/partners/${partner.id}/audit-events?limit=2&cursor=${first.body.next_cursor}`, { auth: key });
    // The third key by the key, then the operator's creation of the acting key itself.
    expect(second.body.data.map((e: { actor: string }) => e.actor)).toEqual([apiKey.id, "operator"]);
    const third = await call(`/v1/partners/${partner.id}/audit-events?limit=2&cursor=${second.body.next_cursor}`, { auth: key });
    expect(third.body.data.map((e: { action: string }) => e.action)).toEqual(["partner.created"]);
    expect(third.body.next_cursor).toBeNull();
  });

  it("needs audit:read and hides other partners' trails", async () => {
    const { partner, key } = await partnerWithKey({ scopes: ["keys:read"] });
    expect((await call(`/v1/partners/${partner.id}/audit-events`, { auth: key })).status).toBe(403);
    const { key: auditor } = await partnerWithKey({ scopes: ["audit:read"] });
    expect((await call(`/v1/partners/${partner.id}/audit-events`, { auth: auditor })).status).toBe(404);
  });

  it("writes nothing when validation refuses a change", async () => {
    const p = await createPartner();
    const { api_key } = await createKey(p.id);
    await call(`/v1/keys/${api_key.id}`, { method: "PATCH", body: { name: "" } });
    const res = await call(`/v1/partners/${p.id}/audit-events`);
    expect(res.body.data.map((e: { action: string }) => e.action)).toEqual(["key.created", "partner.created"]);
  });
});
