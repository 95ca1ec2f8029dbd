import { describe, expect, it } from "vitest";
import { call, createKey, createPartner, createUser } from "../helpers";

// Seed 000: GET /api/public/v1/me/partner — "Read the calling user's partner row".
const DOCUMENTED_FIELDS = [
  "id", "slug", "name", "contact_email", "website_url", "api_key_prefix", "scopes", "game_scopes", "allowed_origins",
  "rate_limit_tier", "status", "secret_rotated_at", "last_used_at", "created_at", "updated_at",
];

describe("flexslot GET /api/public/v1/me/partner", () => {
  it("returns exactly the documented fields for a personal access token (kw_pat_)", async () => {
    const partner = await createPartner({ resources: ["slots", "poker_99"], allowed_origins: ["https://games.example"], scopes: ["games:read"] });
    const user = await createUser(partner.id);
    const { key, api_key } = await createKey(partner.id, { type: "personal", user_id: user.id });
    expect(key).toMatch(/^kw_pat_/);
    const res = await call("/api/public/v1/me/partner", { auth: key });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(Object.keys(res.body)).toEqual(DOCUMENTED_FIELDS);
    expect(res.body).toMatchObject({
      id: partner.id,
      slug: partner.slug,
      name: partner.name,
      contact_email: partner.contact_email,
      website_url: partner.website_url,
      api_key_prefix: api_key.prefix,
      scopes: ["games:read"],
      game_scopes: ["slots", "poker_99"],
      allowed_origins: ["https://games.example"],
      rate_limit_tier: "standard",
      status: "active",
      secret_rotated_at: null,
      last_used_at: null,
    });
    expect(res.body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    for (const field of ["created_at", "updated_at"]) expect(new Date(res.body[field]).toISOString()).toBe(res.body[field]);
    for (const g of res.body.game_scopes) expect(g).toMatch(/^[-a-zA-Z0-9_]+$/);
  });

  it("shows secret_rotated_at once the calling key was rotated, and never a hash", async () => {
    const partner = await createPartner();
    const { api_key } = await createKey(partner.id, { type: "personal" });
    const rotated = (await call(`/v1/keys/${api_key.id}/rotate`, { method: "POST" })).body;
    const res = await call("/api/public/v1/me/partner", { auth: rotated.key });
    expect(res.body.secret_rotated_at).toBe(rotated.api_key.secret_rotated_at);
    expect(res.text).not.toMatch(/hash/i);
  });

  it("refuses a missing or bad token with 401", async () => {
    expect((await call("/api/public/v1/me/partner", { auth: null })).status).toBe(401);
    expect((await call("/api/public/v1/me/partner", { auth: "kw_pat_nope" })).status).toBe(401);
  });
});
