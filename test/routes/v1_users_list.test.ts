import { describe, expect, it } from "vitest";
import { call, createPartner, createUser, partnerWithKey } from "../helpers";

describe("list users", () => {
  it("requires users:read to list and users:write to create", async () => {
    const { partner, key } = await partnerWithKey({ scopes: ["charges:read"] });
    expect((await call(`/v1/partners/${partner.id}/users`, { auth: key })).body.code).toBe("insufficient_scope");
    const res = await call(`/v1/partners/${partner.id}/users`, { auth: key, body: { first_name: "a", last_name: "b", email: "a@b.example", role: "X" } });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe("insufficient_scope");
  });

  it("paginates a partner's users", async () => {
    const p = await createPartner();
    for (let i = 0; i < 3; i++) await createUser(p.id);
    const first = await call(`/v1/partners/${p.id}/users?limit=2`);
    expect(first.body.data).toHaveLength(2);
    const second = await call(`/v1/partners/${p.id}/users?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.data).toHaveLength(1);
    expect(second.body.next_cursor).toBeNull();
  });
});
