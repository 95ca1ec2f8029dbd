import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeCbor, decodeCborPrefix, MAX_DEPTH, type CborValue } from "../../../src/dashboard/webauthn/cbor";
import { WebAuthnError } from "../../../src/dashboard/webauthn";
import { bytes, cbor, hex, refusal, type Encodable } from "./authenticator";

// The decoder reads what authenticators send (attestation objects, COSE keys, extensions) and must
// refuse everything else with a WebAuthnError, quickly, whatever the bytes.

const decode = (h: string) => decodeCbor(hex(h));
const reason = (h: string) => refusal(() => decode(h));

describe("CBOR decoding", () => {
  it("reads the RFC 8949 Appendix A examples it supports, in every integer width", () => {
    expect(decode("00")).toBe(0);
    expect(decode("17")).toBe(23);
    expect(decode("1818")).toBe(24);
    expect(decode("1903e8")).toBe(1000);
    expect(decode("1a000f4240")).toBe(1_000_000);
    expect(decode("1b000000e8d4a51000")).toBe(1_000_000_000_000);
    expect(decode("1b001fffffffffffff")).toBe(Number.MAX_SAFE_INTEGER);
    expect(decode("20")).toBe(-1);
    expect(decode("3903e7")).toBe(-1000);
    expect(decode("3b001ffffffffffffe")).toBe(Number.MIN_SAFE_INTEGER);
    expect(decode("1900ff")).toBe(255); // non-minimal widths are read, not refused
    expect(decode("f4")).toBe(false);
    expect(decode("f5")).toBe(true);
    expect(decode("f6")).toBe(null);
    expect(decode("4401020304")).toEqual(new Uint8Array([1, 2, 3, 4]));
    expect(decode("6449455446")).toBe("IETF");
    expect(decode("62c3bc")).toBe("ü");
    expect(decode("8301820203820405")).toEqual([1, [2, 3], [4, 5]]);
    expect(decode("a201020304")).toEqual(new Map([[1, 2], [3, 4]]));
    expect(decode("a26161016162820203")).toEqual(new Map<string, CborValue>([["a", 1], ["b", [2, 3]]]));
  });

  it("reads a real COSE ES256 key map with negative labels", () => {
    const x = new Uint8Array(32).fill(7);
    const y = new Uint8Array(32).fill(9);
    const value = decodeCbor(cbor(new Map<number, Encodable>([[1, 2], [3, -7], [-1, 1], [-2, x], [-3, y]])));
    expect(value).toEqual(new Map<number, CborValue>([[1, 2], [3, -7], [-1, 1], [-2, x], [-3, y]]));
  });

  it("refuses indefinite lengths, tags, floats, undefined, other simple values and reserved forms", async () => {
    expect(await reason("5f42010243030405ff")).toBe("malformed"); // indefinite byte string
    expect(await reason("9fff")).toBe("malformed"); // indefinite array
    expect(await reason("bf6161f5ff")).toBe("malformed"); // indefinite map
    expect(await reason("c11a514b67b0")).toBe("malformed"); // tag 1 (epoch time)
    expect(await reason("d82076687474703a2f2f7777772e6578616d706c652e636f6d")).toBe("malformed"); // tag 32
    expect(await reason("f93c00")).toBe("malformed"); // half float 1.0
    expect(await reason("fa47c35000")).toBe("malformed"); // single float
    expect(await reason("fb3ff199999999999a")).toBe("malformed"); // double 1.1
    expect(await reason("f7")).toBe("malformed"); // undefined
    expect(await reason("f0")).toBe("malformed"); // simple(16)
    expect(await reason("f8ff")).toBe("malformed"); // simple(255)
    expect(await reason("1c")).toBe("malformed"); // reserved additional information
    expect(await reason("ff")).toBe("malformed"); // a lone break
  });

  it("refuses integers beyond JavaScript's safe range instead of rounding them", async () => {
    expect(await reason("1b0020000000000000")).toBe("malformed"); // 2^53
    expect(await reason("1bffffffffffffffff")).toBe("malformed");
    expect(await reason("3b001fffffffffffff")).toBe("malformed"); // -2^53
  });

  it("refuses trailing bytes, truncation, lying lengths, duplicate or non-scalar map keys and bad UTF-8", async () => {
    expect(await reason("0000")).toBe("malformed");
    expect(await reason("")).toBe("malformed");
    expect(await reason("1903")).toBe("malformed");
    expect(await reason("440102")).toBe("malformed");
    expect(await reason("5bffffffffffffffff")).toBe("malformed"); // a byte string claiming 2^64 bytes
    expect(await reason("5b001fffffffffffff00")).toBe("malformed"); // 2^53 - 1 bytes: not there, nothing allocated
    expect(await reason("9a7fffffff00")).toBe("malformed"); // an array claiming 2^31 items
    expect(await reason("ba7fffffff0000")).toBe("malformed");
    expect(await reason("a201020103")).toBe("malformed"); // key 1 twice
    expect(await reason("a2616101616102")).toBe("malformed"); // "a" twice
    expect(await reason("a1f501")).toBe("malformed"); // key true
    expect(await reason("a1410101")).toBe("malformed"); // byte-string key
    expect(await reason("a18001")).toBe("malformed"); // array key
    expect(await reason("62c328")).toBe("malformed"); // invalid UTF-8
    expect(await reason("63eda080")).toBe("malformed"); // UTF-16 surrogate encoded in UTF-8
  });

  it(`refuses nesting beyond ${MAX_DEPTH} levels without exhausting the stack, even a megabyte deep`, async () => {
    const atLimit = bytes(new Array(MAX_DEPTH).fill(0x81), [0x00]);
    let v: CborValue = decodeCbor(atLimit);
    for (let i = 0; i < MAX_DEPTH; i++) v = (v as CborValue[])[0]!;
    expect(v).toBe(0);
    expect(await refusal(() => decodeCbor(bytes(new Array(MAX_DEPTH + 1).fill(0x81), [0x00])))).toBe("malformed");
    const deep = new Uint8Array(1 << 20).fill(0x81); // [[[[… a million levels
    expect(await refusal(() => decodeCbor(deep))).toBe("malformed");
    const deepMaps = new Uint8Array(1 << 20).fill(0xa1).map((_, i) => (i % 2 ? 0x01 : 0xa1)); // {1: {1: …
    expect(await refusal(() => decodeCbor(deepMaps))).toBe("malformed");
  });

  it("says where an item ends, so what follows it (authenticator extensions) can be read", () => {
    const data = bytes([0xff], cbor(new Map([[1, 2]])), cbor(new Map([["credProtect", 2]])));
    const first = decodeCborPrefix(data, 1);
    expect(first).toEqual({ value: new Map([[1, 2]]), end: 4 });
    expect(decodeCborPrefix(data, first.end).end).toBe(data.length);
  });

  it("byte strings it returns are copies: changing the input later does not change them", () => {
    const input = hex("420102");
    const out = decodeCbor(input) as Uint8Array;
    input[1] = 9;
    expect(out).toEqual(new Uint8Array([1, 2]));
  });
});

const key = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.string({ maxLength: 8 }));
const { value: cborValue } = fc.letrec<{ value: Encodable }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", maxDepth: 8, withCrossShrink: true },
    fc.oneof(
      fc.integer({ min: -1000, max: 1000 }),
      fc.maxSafeInteger(),
      fc.constantFrom(0, 23, 24, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, -24, -25, -256, -257, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER),
    ),
    fc.string({ unit: "binary", maxLength: 30 }),
    fc.uint8Array({ maxLength: 300 }),
    fc.constantFrom(true, false, null),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.uniqueArray(fc.tuple(key, tie("value")), { maxLength: 5, selector: ([k]) => (typeof k === "number" ? `n${k}` : `s${k}`) }).map((entries) => new Map(entries)),
  ),
}));

describe("CBOR properties", () => {
  it("decodes exactly what an encoder makes, for random nested values (every width, depth ≤ 16)", () => {
    fc.assert(
      fc.property(cborValue, (value) => {
        const encoded = cbor(value);
        expect(decodeCbor(encoded)).toEqual(value);
        expect(decodeCborPrefix(bytes(encoded, [0x00]), 0).end).toBe(encoded.length);
      }),
      { numRuns: 400 },
    );
  });

  it("on random bytes, returns or throws a WebAuthnError: never another error, never a hang", () => {
    const garbage = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      // Mutations of valid encodings reach deeper into the decoder than pure noise does.
      fc.tuple(cborValue, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })).map(([v, edits]) => {
        const data = cbor(v);
        for (const [at, b] of edits) if (data.length) data[at % data.length] = b;
        return data;
      }),
    );
    fc.assert(
      fc.property(garbage, (data) => {
        try {
          decodeCbor(data);
        } catch (e) {
          expect(e).toBeInstanceOf(WebAuthnError);
          expect((e as WebAuthnError).reason).toBe("malformed");
        }
      }),
      { numRuns: 2000 },
    );
  });
});
