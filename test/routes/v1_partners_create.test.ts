import { describe, expect, it } from "vitest";
import { call, createPartner, unique } from "../helpers";

const PARTNER_FIELDS = [
  "id", "slug", "name", "contact_email", "website_url", "status", "rate_limit_tier",
  "rate_limit_scope", "credits_remaining", "credits_refill", "credits_refilled_at",
  "scopes", "resources", "allowed_origins", "leak_action", "created_at", "updated_at",
].sort();

describe("create partner", () => {
  it("creates a partner with defaults and exactly the contract's fields", async () => {
    const slug = unique("acme");
    const res = await call("/v1/partners", {
      body: { slug, name: "Acme", contact_email: "ops@acme.example", website_url: "https://acme.example" },
    });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(PARTNER_FIELDS);
    expect(res.body).toMatchObject({ slug, status: "active", rate_limit_tier: "standard", scopes: [], resources: [], allowed_origins: [], leak_action: "revoke" });
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(res.body.created_at).toISOString()).toBe(res.body.created_at);
  });

  it("normalizes allowed origins on write and refuses wildcards and paths", async () => {
    const ok = await createPartner({ allowed_origins: ["HTTPS://App.Example.com:443", "http://localhost:8080/"] });
    expect(ok.allowed_origins).toEqual(["https://app.example.com", "http://localhost:8080"]);
    for (const bad of ["*", "null", "https://*.example.com", "https://a.example/path", "ftp://a.example"]) {
      const res = await call("/v1/partners", {
        body: { slug: unique("o"), name: "x", contact_email: "a@b.example", website_url: "https://b.example", allowed_origins: [bad] },
      });
      expect(res.status, bad).toBe(400);
      expect(res.body.errors[0].path).toBe("allowed_origins.0");
    }
  });

  it("answers 409 slug_taken for a duplicate slug", async () => {
    const p = await createPartner();
    const res = await call("/v1/partners", {
      body: { slug: p.slug, name: "dup", contact_email: "a@b.example", website_url: "https://b.example" },
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("slug_taken");
  });

  it("validates input with a field-by-field 400 problem", async () => {
    const res = await call("/v1/partners", { body: { slug: "has space", name: "", contact_email: "nope", website_url: "javascript:x" } });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.body.code).toBe("validation_error");
    const paths = res.body.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(["contact_email", "name", "slug", "website_url"]);
  });

  it("refuses server-owned and unknown fields", async () => {
    const res = await call("/v1/partners", {
      body: { slug: unique("s"), name: "x", contact_email: "a@b.example", website_url: "https://b.example", id: "mine", status: "suspended" },
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("validation_error");
    // Unknown keys have no path of their own: one error on the body that names each of them.
    expect(res.body.errors).toEqual([{ path: "json", message: expect.stringMatching(/"id".*"status"|"status".*"id"/) }]);
  });

  it("refuses a rate-limit tier that RATE_LIMIT_TIERS does not define", async () => {
    const res = await call("/v1/partners", {
      body: { slug: unique("t"), name: "x", contact_email: "a@b.example", website_url: "https://b.example", rate_limit_tier: "gold" },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe("rate_limit_tier");
  });
});
