import { describe, expect, it } from "vitest";
import { call, createKey, createPartner, createUser } from "../helpers";

describe("GET /v1/me/key", () => {
  it("GET /v1/me/key describes the calling key with its usable scopes, whatever they are", async () => {
    const p = await createPartner();
    const user = await createUser(p.id, { permissions: ["a"] });
    const { key, api_key } = await createKey(p.id, { user_id: user.id, scopes: ["a", "b"] });
    const res = await call("/v1/me/key", { auth: key });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: api_key.id, partner_id: p.id, scopes: ["a"], status: "active" });
  });
});
