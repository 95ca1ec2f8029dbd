import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { constantTimeEqual, fromBase64Url, toBase64Url } from "../../../src/dashboard/webauthn/bytes";
import { b64url, refusal } from "./authenticator";

// Every binary field of a WebAuthn response arrives as unpadded base64url; one spelling per value,
// so a challenge or credential id cannot be matched by an alternative encoding of it.

describe("base64url", () => {
  it("matches an independent encoder and round-trips any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (data) => {
        expect(toBase64Url(data)).toBe(b64url(data));
        expect(fromBase64Url(toBase64Url(data), "field")).toEqual(data);
      }),
    );
  });

  it("refuses padding, the standard alphabet, whitespace, impossible lengths and stray low bits, naming only the field", async () => {
    for (const bad of ["AQ==", "a+b/", "AQ A", "A", "AQIDB", "AR", "AQJ", "é", "\u0000"]) {
      expect(await refusal(() => fromBase64Url(bad, "rawId"), [bad]), bad).toBe("malformed");
    }
    expect(await refusal(() => fromBase64Url(42, "rawId"))).toBe("malformed");
    expect(await refusal(() => fromBase64Url("A".repeat(200), "rawId", 100))).toBe("malformed");
  });

  it("compares bytes equal only when they are", () => {
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0]))).toBe(false);
  });
});
