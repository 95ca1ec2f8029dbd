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
});
