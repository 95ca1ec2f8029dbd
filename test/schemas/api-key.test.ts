import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadKeyAuthRecord } from "../../src/db/keys";
import { KeyCreateSchema, KeyPatchSchema, serializeKey } from "../../src/schemas/api-key";
import { manualClock } from "../clock";
import { call, env, partnerWithKey } from "../helpers";

const parse = (body: Record<string, unknown>) => KeyCreateSchema.safeParse({ name: "k", type: "secret", ...body });

describe("the key schemas", () => {
  it("read expires_at as a date-time or a date (midnight UTC), stored in one canonical form, and only in the future of the clock", () => {
    const clock = manualClock(Date.parse("2030-01-01T12:00:00Z"));
    expect(parse({ expires_at: "2030-01-02" }).data?.expires_at).toBe("2030-01-02T00:00:00.000Z");
    expect(parse({ expires_at: "2030-01-01T14:00:00+01:00" }).data?.expires_at).toBe("2030-01-01T13:00:00.000Z");
    expect(parse({ expires_at: "2030-01-01" }).success, "midnight already passed").toBe(false);
    clock.advance(3_600_000);
    expect(parse({ expires_at: "2030-01-01T13:00:00Z" }).success, "exactly now is not the future").toBe(false);
    expect(parse({ expires_at: "2030-01-01T13:00:01Z" }).success).toBe(true);
  });

  it("store origins canonically (lower case, default port dropped, deduplicated) and refuse paths, wildcards and other schemes", () => {
    const parsed = parse({ allowed_origins: ["HTTPS://App.Example.com:443", "https://app.example.com", "http://localhost:8080"] });
    expect(parsed.data?.allowed_origins).toEqual(["https://app.example.com", "http://localhost:8080"]);
    for (const bad of ["https://app.example.com/path", "https://*.example.com", "ftp://example.com", "example.com", "https://user@example.com"]) {
      const refused = parse({ allowed_origins: [bad] });
      expect(refused.success, bad).toBe(false);
      expect(refused.error?.issues[0]?.path, bad).toEqual(["allowed_origins", 0]);
    }
  });

  it("refuse fields the server owns or does not know, on create and on PATCH", () => {
    fc.assert(
      fc.property(fc.constantFrom("id", "partner_id", "status", "created_by", "last_used_at", "secret_hash", "prefix", "x"), (field) => {
        expect(parse({ [field]: "v" }).success, field).toBe(false);
        expect(KeyPatchSchema.safeParse({ [field]: "v" }).success, field).toBe(false);
      }),
    );
  });

  it("serialize a stored key without its hash, its previous hash or anything but the contract's fields", async () => {
    const { apiKey } = await partnerWithKey();
    const stored = await call(`/v1/keys/${apiKey.id}`);
    expect(stored.status).toBe(200);
    const record = await loadKeyAuthRecord(env.DB, apiKey.id);
    const text = JSON.stringify(serializeKey(record!.key, { user: null }));
    expect(text).not.toContain(record!.key.secret_hash);
    expect(text).not.toMatch(/secret_hash|previous_secret_hash|hash_version/);
  });
});
