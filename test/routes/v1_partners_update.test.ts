import { describe, expect, it } from "vitest";
import { call, createPartner } from "../helpers";

describe("update partner", () => {
  it("reads, updates and suspends a partner", async () => {
    const p = await createPartner();
    expect((await call(`/v1/partners/${p.id}`)).body.slug).toBe(p.slug);
    const res = await call(`/v1/partners/${p.id}`, { method: "PATCH", body: { name: "Renamed", rate_limit_tier: "premium", status: "suspended" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: "Renamed", rate_limit_tier: "premium", status: "suspended" });
    expect(res.body.updated_at >= res.body.created_at).toBe(true);
  });

  it("sets leak_action on create and PATCH, and refuses any value but revoke and notify", async () => {
    const p = await createPartner({ leak_action: "notify" });
    expect(p.leak_action).toBe("notify");
    const res = await call(`/v1/partners/${p.id}`, { method: "PATCH", body: { leak_action: "revoke" } });
    expect([res.status, res.body.leak_action]).toEqual([200, "revoke"]);
    const bad = await call(`/v1/partners/${p.id}`, { method: "PATCH", body: { leak_action: "delete" } });
    expect([bad.status, bad.body.errors?.[0]?.path]).toEqual([400, "leak_action"]);
  });
});
