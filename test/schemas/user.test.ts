import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { USER_KINDS, USER_STATUSES, type User } from "../../src/db/users";
import { UserCreateSchema, UserPatchSchema, UserSchema, fullName, serializeUser } from "../../src/schemas/user";
import { refusedPaths } from "../helpers";

const valid = { first_name: "Perceval", last_name: "de Galles", email: "perceval@example.com", role: "PUBLISHER" };
const parse = (body: Record<string, unknown>) => UserCreateSchema.safeParse({ ...valid, ...body });

const roleChar = fc.constantFrom(..."abzABZ0189_");
const userRow = fc.record({
  seq: fc.nat(),
  id: fc.string(),
  partner_id: fc.uuid(),
  first_name: fc.string({ minLength: 1 }).filter((s) => s.trim() === s && s !== ""),
  last_name: fc.string().filter((s) => s.trim() === s),
  email: fc.emailAddress(),
  role: fc.string(),
  kind: fc.constantFrom(...USER_KINDS),
  permissions: fc.array(fc.string()),
  created_at: fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2999-12-31T23:59:59Z"), noInvalidDate: true }).map((d) => d.toISOString()),
  updated_at: fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2999-12-31T23:59:59Z"), noInvalidDate: true }).map((d) => d.toISOString()),
  status: fc.constantFrom(...USER_STATUSES),
}) satisfies fc.Arbitrary<User>;

describe("the user schemas", () => {
  it("default kind to user and permissions to none", () => {
    expect(parse({}).data).toMatchObject({ kind: "user", permissions: [] });
    for (const kind of USER_KINDS) expect(parse({ kind }).data?.kind).toBe(kind);
    expect(refusedPaths(parse({ kind: "admin" }))).toEqual(["kind"]);
  });

  it("accept a role that starts with a letter and goes on with letters, digits and _, up to 32 characters", () => {
    fc.assert(
      fc.property(fc.constantFrom(..."aZ"), fc.string({ unit: roleChar, maxLength: 31 }), (first, rest) => {
        expect(parse({ role: first + rest }).data?.role).toBe(first + rest);
      }),
    );
    for (const role of ["", "1ADMIN", "_ADMIN", "ORG ADMIN", "ORG-ADMIN", "A".repeat(33)]) {
      expect(refusedPaths(parse({ role })), role).toEqual(["role"]);
    }
  });

  it("trim names: the first name must not be blank, the last name may be empty", () => {
    expect(parse({ first_name: "  Ana ", last_name: " " }).data).toMatchObject({ first_name: "Ana", last_name: "" });
    expect(refusedPaths(parse({ first_name: "   " }))).toEqual(["first_name"]);
    expect(refusedPaths(parse({ first_name: "x".repeat(101) }))).toEqual(["first_name"]);
  });

  it("check every permission as a scope", () => {
    expect(parse({ permissions: ["business_edit", "keys:read", "charges/*"] }).success).toBe(true);
    expect(refusedPaths(parse({ permissions: ["ok", "not ok"] }))).toEqual(["permissions.1"]);
  });

  it("refuse fields the server owns or does not know", () => {
    fc.assert(
      fc.property(fc.constantFrom("id", "partner_id", "name", "seq", "created_at", "updated_at", "x"), (field) => {
        expect(parse({ [field]: "v" }).success, field).toBe(false);
      }),
    );
  });

  it("patch: every field is optional, and an empty body changes nothing", () => {
    expect(UserPatchSchema.safeParse({}).data).toEqual({});
    expect(UserPatchSchema.safeParse({ status: "deactivated" }).data).toEqual({ status: "deactivated" });
    expect(UserPatchSchema.safeParse({ permissions: [], role: "VIEWER", status: "active" }).data).toEqual({ permissions: [], role: "VIEWER", status: "active" });
  });

  it("patch: status is active or deactivated, and role and permissions follow the create rules", () => {
    for (const status of USER_STATUSES) expect(UserPatchSchema.safeParse({ status }).success).toBe(true);
    for (const status of ["suspended", "revoked", "ACTIVE", "", null, true]) {
      expect(refusedPaths(UserPatchSchema.safeParse({ status })), String(status)).toEqual(["status"]);
    }
    fc.assert(
      fc.property(fc.constantFrom(..."aZ"), fc.string({ unit: roleChar, maxLength: 31 }), (first, rest) => {
        expect(UserPatchSchema.safeParse({ role: first + rest }).data?.role).toBe(first + rest);
      }),
    );
    for (const role of ["", "1ADMIN", "_ADMIN", "ORG ADMIN", "A".repeat(33)]) {
      expect(refusedPaths(UserPatchSchema.safeParse({ role })), role).toEqual(["role"]);
    }
    expect(refusedPaths(UserPatchSchema.safeParse({ permissions: ["ok", "not ok"] }))).toEqual(["permissions.1"]);
    expect(refusedPaths(UserPatchSchema.safeParse({ permissions: null }))).toEqual(["permissions"]);
  });

  it("patch: refuses fields the server owns, fields only create sets, and unknown ones", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("id", "partner_id", "name", "seq", "created_at", "updated_at", "first_name", "last_name", "email", "kind", "x"),
        (field) => {
          expect(UserPatchSchema.safeParse({ [field]: "v" }).success, field).toBe(false);
        },
      ),
    );
  });

  it("serialize every stored user as exactly the contract's fields, its name the first and last name with no stray space", () => {
    const fields = Object.keys(UserSchema.shape).sort();
    fc.assert(
      fc.property(userRow, (row) => {
        const wire = serializeUser(row);
        expect(Object.keys(wire).sort()).toEqual(fields);
        expect(UserSchema.parse(wire)).toEqual(wire);
        expect(wire.name).toBe(row.last_name === "" ? row.first_name : `${row.first_name} ${row.last_name}`);
      }),
    );
    expect(fullName({ first_name: "Cher", last_name: "" })).toBe("Cher");
  });
});
