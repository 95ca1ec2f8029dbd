import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PARTNER_STATUSES, type Partner } from "../../src/db/partners";
import { LEAK_ACTIONS } from "../../src/db/tables";
import { RATE_LIMIT_SCOPES } from "../../src/db/budgets";
import { PartnerCreateSchema, PartnerPatchSchema, PartnerSchema, serializePartner } from "../../src/schemas/partner";
import { refusedPaths } from "../helpers";

const valid = { slug: "acme", name: "Acme", contact_email: "ops@acme.example", website_url: "https://acme.example" };
const parse = (body: Record<string, unknown>) => PartnerCreateSchema.safeParse({ ...valid, ...body });

const slugChar = fc.constantFrom(..."abcxyzABCXYZ0189_-");
const partnerRow = fc.record({
  seq: fc.nat(),
  id: fc.uuid(),
  slug: fc.string({ unit: slugChar, minLength: 1, maxLength: 64 }),
  name: fc.string({ minLength: 1 }),
  contact_email: fc.emailAddress(),
  website_url: fc.webUrl(),
  status: fc.constantFrom(...PARTNER_STATUSES),
  rate_limit_tier: fc.constantFrom("standard", "premium"),
  scopes: fc.array(fc.string()),
  resources: fc.array(fc.string()),
  allowed_origins: fc.array(fc.webUrl()),
  version: fc.nat(),
  created_at: fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2999-12-31T23:59:59Z"), noInvalidDate: true }).map((d) => d.toISOString()),
  updated_at: fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2999-12-31T23:59:59Z"), noInvalidDate: true }).map((d) => d.toISOString()),
  leak_action: fc.constantFrom(...LEAK_ACTIONS),
  rate_limit_scope: fc.constantFrom(...RATE_LIMIT_SCOPES),
  credits_remaining: fc.option(fc.nat()),
  credits_refill: fc.option(
    fc.oneof(
      fc.record({ amount: fc.integer({ min: 1 }), interval: fc.constant("day" as const) }),
      fc.record({ amount: fc.integer({ min: 1 }), interval: fc.constant("month" as const), day_of_month: fc.integer({ min: 1, max: 31 }) }),
    ),
  ),
  credits_refilled_at: fc.option(fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2999-12-31T23:59:59Z"), noInvalidDate: true }).map((d) => d.toISOString())),
  usage_seq: fc.nat(),
}) satisfies fc.Arbitrary<Partner>;

describe("the partner schemas", () => {
  it("accept every slug of 1 to 64 letters, digits, _ and -, and refuse any other character at path slug", () => {
    fc.assert(
      fc.property(fc.string({ unit: slugChar, minLength: 1, maxLength: 64 }), (slug) => {
        expect(parse({ slug }).data?.slug).toBe(slug);
      }),
    );
    fc.assert(
      fc.property(
        fc.string({ unit: slugChar, maxLength: 30 }),
        fc.constantFrom(" ", ".", "/", "é", "@", "\n"),
        fc.string({ unit: slugChar, maxLength: 30 }),
        (before, bad, after) => {
          expect(refusedPaths(parse({ slug: before + bad + after }))).toEqual(["slug"]);
        },
      ),
    );
    expect(refusedPaths(parse({ slug: "a".repeat(65) }))).toEqual(["slug"]);
  });

  it("trim the name, refuse a blank one and count its 200-character limit in code points, not UTF-16 units", () => {
    expect(parse({ name: "  Acme  " }).data?.name).toBe("Acme");
    expect(refusedPaths(parse({ name: " \t " }))).toEqual(["name"]);
    // 200 emoji are 400 UTF-16 units: still 200 characters, as the document's maxLength counts them.
    expect(parse({ name: "🔑".repeat(200) }).success).toBe(true);
    expect(refusedPaths(parse({ name: "🔑".repeat(201) }))).toEqual(["name"]);
  });

  it("take an http(s) website and a valid email only", () => {
    for (const website_url of ["javascript:alert(1)", "ftp://a.example", "a.example", "data:text/html,x"]) {
      expect(refusedPaths(parse({ website_url })), website_url).toEqual(["website_url"]);
    }
    expect(parse({ website_url: "HTTP://a.example/path" }).success).toBe(true);
    for (const contact_email of ["nope", "a@", "@b.example", `${"a".repeat(250)}@b.example`]) {
      expect(refusedPaths(parse({ contact_email })), contact_email).toEqual(["contact_email"]);
    }
  });

  it("leave tier, scopes, resources and origins out of a create that does not name them (the route applies the defaults)", () => {
    expect(parse({}).data).toEqual(valid);
  });

  it("refuse on create and on PATCH every field the server owns or does not know; the slug cannot be changed", () => {
    fc.assert(
      fc.property(fc.constantFrom("id", "seq", "version", "created_at", "updated_at", "x"), (field) => {
        expect(parse({ [field]: "v" }).success, field).toBe(false);
        expect(PartnerPatchSchema.safeParse({ [field]: "v" }).success, field).toBe(false);
      }),
    );
    expect(PartnerPatchSchema.safeParse({ slug: "renamed" }).success).toBe(false);
    expect(parse({ status: "active" }).success, "a new partner is always active").toBe(false);
  });

  it("let a PATCH name any subset of its fields, with status limited to the partner statuses", () => {
    expect(PartnerPatchSchema.parse({})).toEqual({});
    for (const status of PARTNER_STATUSES) expect(PartnerPatchSchema.parse({ status })).toEqual({ status });
    expect(PartnerPatchSchema.safeParse({ status: "deleted" }).success).toBe(false);
  });

  it("serialize every stored partner as exactly the contract's fields, without seq or version", () => {
    const fields = Object.keys(PartnerSchema.shape).sort();
    fc.assert(
      fc.property(partnerRow, (row) => {
        const wire = serializePartner(row);
        expect(Object.keys(wire).sort()).toEqual(fields);
        expect(PartnerSchema.parse(wire)).toEqual(wire);
        expect(wire).toMatchObject({ id: row.id, slug: row.slug, status: row.status, allowed_origins: row.allowed_origins });
      }),
    );
  });
});
