import { describe, expect, it } from "vitest";
import { call, createPartner, createUser, partnerWithKey, unique } from "../helpers";

describe("create user", () => {
  it("creates a user with a full name, role, kind and permissions", async () => {
    const p = await createPartner();
    const res = await call(`/v1/partners/${p.id}/users`, {
      body: { first_name: "Perceval", last_name: "de Galles", email: "perceval@example.com", role: "ORG_ADMIN", kind: "bot", permissions: ["business_edit"] },
    });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(
      ["id", "partner_id", "first_name", "last_name", "name", "email", "role", "kind", "permissions", "status", "created_at", "updated_at"].sort(),
    );
    expect(res.body).toMatchObject({ name: "Perceval de Galles", kind: "bot", role: "ORG_ADMIN", permissions: ["business_edit"], partner_id: p.id, status: "active" });
    expect((await call(`/v1/users/${res.body.id}`)).body.email).toBe("perceval@example.com");
  });

  it("refuses a second user with the same email in one partner", async () => {
    const p = await createPartner();
    const email = `${unique("dup")}@example.com`;
    await createUser(p.id, { email });
    const res = await call(`/v1/partners/${p.id}/users`, { body: { first_name: "a", last_name: "b", email, role: "PUBLISHER" } });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("email_taken");
  });

  it("lets a users:write key manage its own partner's users only", async () => {
    const { partner, key } = await partnerWithKey({ scopes: ["users:write", "users:read"] });
    const other = await createPartner();
    const mine = await call(`/v1/partners/${partner.id}/users`, { auth: key, body: { first_name: "a", last_name: "b", email: "a@b.example", role: "PUBLISHER" } });
    expect(mine.status).toBe(201);
    const theirs = await call(`/v1/partners/${other.id}/users`, { auth: key, body: { first_name: "a", last_name: "b", email: "a@b.example", role: "PUBLISHER" } });
    expect(theirs.status).toBe(404);
    const otherUser = await createUser(other.id);
    expect((await call(`/v1/users/${otherUser.id}`, { auth: key })).status).toBe(404);
    expect((await call(`/v1/partners/${other.id}/users`, { auth: key })).status).toBe(404);
  });
});
