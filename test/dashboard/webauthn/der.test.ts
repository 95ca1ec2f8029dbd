import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { derToRawEcdsa } from "../../../src/dashboard/webauthn/der";
import { WebAuthnError } from "../../../src/dashboard/webauthn";
import { bytes, hex, rawToDer, refusal } from "./authenticator";

// Authenticators send ES256 signatures as DER; WebCrypto verifies raw r ‖ s. The converter must
// give WebCrypto exactly the signature the authenticator made, and refuse every other encoding,
// so a re-encoded or tampered signature never passes as a valid one.

const r = hex("8f3a".padEnd(64, "1"));
const s = hex("00007f".padEnd(64, "2"));

/** A 32-byte scalar: random, often with the high bit set, sometimes with leading zero bytes. */
const scalar = fc
  .tuple(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 31 }), fc.boolean(), fc.boolean())
  .map(([b, zeros, highBit, padded]) => {
    const out = b.slice();
    if (highBit) out[0]! |= 0x80;
    else if (padded) out.fill(0, 0, zeros);
    if (out.every((x) => x === 0)) out[31] = 1; // r and s are never zero
    return out;
  });

describe("DER to raw ECDSA signatures", () => {
  it("converts a signature whose r needs a 0x00 pad and whose s has leading zero bytes", () => {
    const der = rawToDer(bytes(r, s));
    expect(der[3]).toBe(33); // r: 0x00 then 32 bytes with the high bit set
    expect(derToRawEcdsa(der)).toEqual(bytes(r, s));
  });

  it("converts the smallest signature: r = s = 1", () => {
    expect(derToRawEcdsa(hex("3006020101020101"))).toEqual(bytes(new Uint8Array(31), [1], new Uint8Array(31), [1]));
  });

  it("refuses every non-DER encoding with bad_signature", async () => {
    const good = rawToDer(bytes(r, s));
    const reasons = async (der: Uint8Array) => refusal(() => derToRawEcdsa(der));
    const cases: Record<string, Uint8Array> = {
      empty: new Uint8Array(),
      "wrong outer tag": bytes([0x31], good.subarray(1)),
      "long-form sequence length": bytes([0x30, 0x81, good[1]!], good.subarray(2)),
      "sequence length too long": bytes([0x30, good[1]! + 1], good.subarray(2)),
      "sequence length too short": bytes([0x30, good[1]! - 1], good.subarray(2)),
      "trailing byte": bytes(good, [0x00]),
      truncated: good.subarray(0, good.length - 1),
      "r not an INTEGER": hex("3006030101020101"),
      "zero-length r": hex("30050200020101"),
      "r is zero": hex("3006020100020101"),
      "negative r": hex("3006020181020101"),
      "superfluous leading zero": hex("300702020001020101"),
      "r of 33 significant bytes": bytes([0x30, 0x26, 0x02, 0x21], new Uint8Array(33).fill(0x11), [0x02, 0x01, 0x01]),
      "r of 34 bytes with pad": bytes([0x30, 0x27, 0x02, 0x22, 0x00], new Uint8Array(33).fill(0x81), [0x02, 0x01, 0x01]),
      "only one INTEGER": hex("3003020101"),
      "three INTEGERs": hex("3009020101020101020101"),
      "raw r||s instead of DER": bytes(r, s),
    };
    for (const [name, der] of Object.entries(cases)) expect(await reasons(der), name).toBe("bad_signature");
  });

  it("round-trips random r and s (high bits set, leading zeros) through DER", () => {
    fc.assert(
      fc.property(scalar, scalar, (r, s) => {
        expect(derToRawEcdsa(rawToDer(bytes(r, s)))).toEqual(bytes(r, s));
      }),
      { numRuns: 500 },
    );
  });

  it("refuses random mutations of a valid signature, or reads them as a different signature: never the same one", () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), value: fc.constant(0) }),
    );
    fc.assert(
      fc.property(scalar, scalar, fc.array(mutation, { minLength: 1, maxLength: 3 }), (r, s, edits) => {
        const raw = bytes(r, s);
        let der = [...rawToDer(raw)];
        for (const { kind, at, value } of edits) {
          const i = at % (der.length + 1);
          if (kind === "set") der[i % der.length] = value;
          else if (kind === "insert") der.splice(i, 0, value);
          else der.splice(i % der.length, 1);
        }
        const mutated = new Uint8Array(der);
        if (mutated.length === rawToDer(raw).length && mutated.every((b, i) => b === rawToDer(raw)[i])) return; // edits cancelled out
        try {
          const read = derToRawEcdsa(mutated);
          // Accepted: only if it is the one strict encoding of a different signature.
          expect(read).not.toEqual(raw);
          expect(rawToDer(read)).toEqual(mutated);
        } catch (e) {
          expect(e).toBeInstanceOf(WebAuthnError);
          expect((e as WebAuthnError).reason).toBe("bad_signature");
        }
      }),
      { numRuns: 1000 },
    );
  });
});
