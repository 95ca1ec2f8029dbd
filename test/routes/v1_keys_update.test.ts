import { describe, expect, it } from "vitest";
import { call, createKey, createPartner, partnerWithKey } from "../helpers";

const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

describe("update key", () => {
  it("changes the mutable fields and records who did it", async () => {
    const p = await createPartner();
    const { api_key } = await createKey(p.id);
    const expires = inAnHour();
    const res = await call(`/v1/keys/${api_key.id}`, {
      method: "PATCH",
      body: { name: "Renamed", description: "for billing", scopes: ["charges:read"], allowed_origins: ["https://app.example"], rate_limit_tier: "premium", expires_at: expires, credits_remaining: 5 },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: "Renamed", description: "for billing", scopes: ["charges:read"], allowed_origins: ["https://app.example"], rate_limit_tier: "premium", expires_at: expires, credits_remaining: 5 });
    expect((await call(`/v1/keys/${api_key.id}`)).body).toMatchObject({ name: "Renamed", description: "for billing", rate_limit_tier: "premium", credits_remaining: 5 });

    // Who did it: the operator here, then a key of the partner; each change is one key.updated event naming its actor.
    // (The editor holds at least what the edited key holds, tier and origins included, as a key editing another must.)
    const { key: editor, api_key: editorKey } = await createKey(p.id, {
      scopes: ["keys:write", "charges:read"], rate_limit_tier: "premium", allowed_origins: ["https://app.example"],
    });
    const byKey = await call(`/v1/keys/${api_key.id}`, { method: "PATCH", auth: editor, body: { name: "Renamed by a key" } });
    expect(byKey.status).toBe(200);
    expect(byKey.body.name).toBe("Renamed by a key");
    const updates = (await call(`/v1/partners/${p.id}/audit-events`)).body.data.filter(
      (e: { action: string; target_id: string }) => e.action === "key.updated" && e.target_id === api_key.id,
    );
    expect(updates).toEqual([
      expect.objectContaining({ actor: editorKey.id, request_id: byKey.headers.get("x-request-id") }),
      expect.objectContaining({ actor: "operator", request_id: res.headers.get("x-request-id") }),
    ]);
  });

  it("refuses unknown fields, server-owned fields and a past expiry", async () => {
    const p = await createPartner();
    const { api_key } = await createKey(p.id);
    const cases: [Record<string, unknown>, string, string][] = [
      // Unknown and server-owned keys have no path of their own: the error sits on the body and names the key.
      [{ status: "active" }, "json", '"status"'],
      [{ partner_id: "x" }, "json", '"partner_id"'],
      [{ last_used_at: null }, "json", '"last_used_at"'],
      [{ expires_at: "2001-01-01" }, "expires_at", "future"],
    ];
    for (const [body, path, named] of cases) {
      const res = await call(`/v1/keys/${api_key.id}`, { method: "PATCH", body });
      expect(res.status, path).toBe(400);
      expect(res.body.code, path).toBe("validation_error");
      expect(res.body.errors, JSON.stringify(body)).toEqual([{ path, message: expect.stringContaining(named) }]);
    }
  });

  it("does not let a partner key raise its own tier, credits or scopes", async () => {
    const { key, apiKey } = await partnerWithKey({ scopes: ["keys:write"] });
    for (const [body, code] of [[{ rate_limit_tier: "premium" }, "operator_only_field"], [{ credits_remaining: 10 }, "operator_only_field"], [{ credits_refill: { amount: 10, interval: "day" } }, "operator_only_field"], [{ scopes: ["keys:write", "audit:read"] }, "scope_escalation"]] as const) {
      const res = await call(`/v1/keys/${apiKey.id}`, { method: "PATCH", auth: key, body });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe(code);
    }
  });

  it("refuses changes to a revoked key with 409", async () => {
    const p = await createPartner();
    const { api_key } = await createKey(p.id);
    await call(`/v1/keys/${api_key.id}/revoke`, { method: "POST" });
    const res = await call(`/v1/keys/${api_key.id}`, { method: "PATCH", body: { name: "zombie" } });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("key_revoked");
  });
});
