import { describe, expect, it } from "vitest";
import { call, createKey, createPartner, createUser } from "../helpers";

describe("introspection", () => {
  it("GET /v1/me/key describes the calling key with its usable scopes, whatever they are", async () => {
    const p = await createPartner();
    const user = await createUser(p.id, { permissions: ["a"] });
    const { key, api_key } = await createKey(p.id, { user_id: user.id, scopes: ["a", "b"] });
    const res = await call("/v1/me/key", { auth: key });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: api_key.id, partner_id: p.id, scopes: ["a"], status: "active" });
  });

  it("GET /v1/me/partner returns the key's own partner", async () => {
    const p = await createPartner({ resources: ["slots", "poker"] });
    const { key } = await createKey(p.id, { scopes: [] });
    const res = await call("/v1/me/partner", { auth: key });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: p.id, slug: p.slug, resources: ["slots", "poker"] });
  });
});
