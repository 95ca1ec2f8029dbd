import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base64UrlDecode, base64UrlEncode, randomBase62 } from "../../src/lib/encoding";

describe("encoding", () => {
  it("base64url round-trips any Latin-1 text and uses only URL-safe characters, unpadded", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 80 }), (text) => {
        const encoded = base64UrlEncode(text);
        expect(encoded).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(base64UrlDecode(encoded)).toBe(text);
      }),
    );
  });

  it("base64url refuses text outside its alphabet instead of guessing", () => {
    for (const bad of ["a+b", "a/b", "ab==", "a b", "é"]) expect(base64UrlDecode(bad), bad).toBeNull();
  });

  it("randomBase62 gives exactly the length asked, in base62, and does not repeat", () => {
    const seen = new Set<string>();
    for (const length of [1, 6, 16, 24, 64]) {
      for (let i = 0; i < 50; i++) {
        const value = randomBase62(length);
        expect(value).toMatch(new RegExp(`^[0-9A-Za-z]{${length}}$`));
        if (length >= 16) {
          expect(seen.has(value)).toBe(false);
          seen.add(value);
        }
      }
    }
  });
});
