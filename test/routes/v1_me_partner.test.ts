import { describe, expect, it } from "vitest";
import { call, createKey, createPartner } from "../helpers";

describe("GET /v1/me/partner", () => {
  it("GET /v1/me/partner returns the key's own partner", async () => {
    const p = await createPartner({ resources: ["slots", "poker"] });
    const { key } = await createKey(p.id, { scopes: [] });
    const res = await call("/v1/me/partner", { auth: key });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: p.id, slug: p.slug, resources: ["slots", "poker"] });
  });
});
