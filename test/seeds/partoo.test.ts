import { describe, expect, it } from "vitest";
import { manualClock } from "../clock";
import { call, createKey, createPartner, createUser } from "../helpers";

// Seed 002 (Partoo) has no path of its own: each feature it documents lives in the canonical API.
const DAY = 86_400_000;

async function integration() {
  const partner = await createPartner({ scopes: ["keys:read", "keys:write", "business_edit", "business_edit_name", "business_edit_categories"] });
  const admin = await createUser(partner.id, { first_name: "John", last_name: "Smith", role: "ORG_ADMIN", permissions: ["keys:read", "keys:write", "business_edit", "business_edit_name", "business_edit_categories"] });
  const adminKey = await createKey(partner.id, { name: "admin", user_id: admin.id, scopes: ["keys:read", "keys:write", "business_edit", "business_edit_name", "business_edit_categories"] });
  const perceval = await createUser(partner.id, { first_name: "Perceval", last_name: "de Galles", role: "BUSINESS_MANAGER", kind: "user", permissions: ["business_edit", "business_edit_name"] });
  return { partner, admin, adminKey, perceval };
}

describe("Partoo's API key features in the canonical API", () => {
  it("authenticates with the x-APIKey header", async () => {
    const { adminKey } = await integration();
    const res = await call("/v1/me/key", { auth: adminKey.key, via: "x-APIKey" });
    expect(res.status).toBe(200);
  });

  it("filters permissions by the key's user unless all_permissions=true", async () => {
    const { partner, adminKey, perceval } = await integration();
    const created = await createKey(partner.id, {
      name: "API key name",
      description: "API key for updating business name, and categories.",
      user_id: perceval.id,
      scopes: ["business_edit", "business_edit_name", "business_edit_categories"],
    }, adminKey.key);
    const filtered = await call(`/v1/keys/${created.api_key.id}`, { auth: adminKey.key, via: "x-APIKey" });
    expect(filtered.body.scopes).toEqual(["business_edit", "business_edit_name"]);
    const all = await call(`/v1/keys/${created.api_key.id}?all_permissions=true`, { auth: adminKey.key, via: "x-APIKey" });
    expect(all.body.scopes).toEqual(["business_edit", "business_edit_name", "business_edit_categories"]);
    expect(all.body.description).toBe("API key for updating business name, and categories.");
  });

  it("shows the key's user with name, role and kind (bot or user)", async () => {
    const { partner, perceval } = await integration();
    const bot = await createUser(partner.id, { first_name: "Integration", last_name: "Bot", role: "PROVIDER", kind: "bot" });
    const humanKey = await createKey(partner.id, { user_id: perceval.id });
    const botKey = await createKey(partner.id, { user_id: bot.id });
    const human = await call(`/v1/keys/${humanKey.api_key.id}?expand=user`);
    expect(human.body.user).toEqual({ id: perceval.id, name: "Perceval de Galles", role: "BUSINESS_MANAGER", kind: "user" });
    expect((await call(`/v1/keys/${botKey.api_key.id}?expand=user`)).body.user.kind).toBe("bot");
    const orgKey = await createKey(partner.id);
    expect((await call(`/v1/keys/${orgKey.api_key.id}?expand=user`)).body.user).toBeNull();
  });

  it("records created_by and revoked_by with names and times", async () => {
    const { partner, admin, adminKey } = await integration();
    const created = await createKey(partner.id, {}, adminKey.key);
    await call(`/v1/keys/${created.api_key.id}/revoke`, { method: "POST", auth: adminKey.key });
    const res = await call(`/v1/keys/${created.api_key.id}?expand=actors`);
    expect(res.body).toMatchObject({
      status: "revoked",
      created_by: adminKey.api_key.id,
      created_by_name: "John Smith",
      revoked_by: adminKey.api_key.id,
      revoked_by_name: "John Smith",
    });
    expect(Date.parse(res.body.created_at)).toBeLessThanOrEqual(Date.parse(res.body.revoked_at));
    expect(admin.id).toBeTruthy();
    const byOperator = await createKey(partner.id);
    expect((await call(`/v1/keys/${byOperator.api_key.id}?expand=actors`)).body).toMatchObject({ created_by: "operator", created_by_name: "Operator", revoked_by_name: null });
  });

  it("wants an expiration of at least the day after today, and accepts null", async () => {
    // The last millisecond of a UTC day, on a clock that stays there: "today" and "tomorrow" are
    // the same days for the test and the Worker whenever the suite runs, even across midnight.
    const clock = manualClock(Math.floor(Date.now() / DAY) * DAY + DAY - 1);
    const isoDay = (offsetDays: number) => new Date(clock.now() + offsetDays * DAY).toISOString().slice(0, 10);
    const { partner } = await integration();
    const today = await call(`/v1/partners/${partner.id}/keys`, { body: { name: "k", type: "secret", expires_at: isoDay(0) } });
    expect([today.status, today.body.code, today.body.errors?.[0]?.path]).toEqual([400, "validation_error", "expires_at"]);
    const tomorrow = await createKey(partner.id, { expires_at: isoDay(1) });
    expect(tomorrow.api_key.expires_at).toBe(`${isoDay(1)}T00:00:00.000Z`);
    const cleared = await call(`/v1/keys/${tomorrow.api_key.id}`, { method: "PATCH", body: { expires_at: null } });
    expect(cleared.body.expires_at).toBeNull();
  });

  it("restricts calls to IP and CIDR lists, where an empty list means no restriction", async () => {
    const { partner } = await integration();
    const restricted = await createKey(partner.id, { allowed_ips: ["172.16.0.0/12", "127.0.0.1"] });
    expect((await call("/v1/me/key", { auth: restricted.key, via: "x-APIKey", headers: { "cf-connecting-ip": "172.20.0.5" } })).status).toBe(200);
    expect((await call("/v1/me/key", { auth: restricted.key, via: "x-APIKey", headers: { "cf-connecting-ip": "8.8.8.8" } })).status).toBe(403);
    const open = await createKey(partner.id, { allowed_ips: [] });
    expect((await call("/v1/me/key", { auth: open.key, via: "x-APIKey", headers: { "cf-connecting-ip": "8.8.8.8" } })).status).toBe(200);
  });

  it("lets keys carry custom permission names", async () => {
    const { partner } = await integration();
    const { api_key } = await createKey(partner.id, { scopes: ["business_edit", "business_edit_name", "business_edit_categories"] });
    expect(api_key.scopes).toEqual(["business_edit", "business_edit_name", "business_edit_categories"]);
  });

  it("keeps the documented field set when nothing is expanded", async () => {
    const { partner } = await integration();
    const { api_key } = await createKey(partner.id);
    const res = await call(`/v1/keys/${api_key.id}`);
    expect(res.body).not.toHaveProperty("user");
    expect(res.body).not.toHaveProperty("created_by_name");
    expect((await call(`/v1/keys/${api_key.id}?expand=bogus`)).status).toBe(400);
  });
});
