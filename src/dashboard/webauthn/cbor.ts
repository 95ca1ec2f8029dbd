import { WebAuthnError } from "./errors";

/**
 * A minimal CBOR (RFC 8949) decoder: exactly what WebAuthn's attestation objects, COSE keys and
 * authenticator extensions use, and nothing else. Supported: unsigned and negative integers within
 * JavaScript's safe range (every length form), byte strings, UTF-8 text strings, arrays, maps with
 * integer or text keys (no duplicates), and the simple values false, true and null; definite
 * lengths only. Refused with `WebAuthnError("malformed")`: indefinite lengths, tags, floats,
 * `undefined` and other simple values, reserved forms, invalid UTF-8, truncation and (for
 * `decodeCbor`) trailing bytes.
 *
 * Hostile input stays cheap: nesting is limited to `MAX_DEPTH`, every declared length and count
 * is checked against the bytes left before anything is allocated (each item takes at least one
 * byte), so work and memory are linear in the input, whose size is bounded by the callers.
 */

export type CborValue = number | string | boolean | null | Uint8Array | CborValue[] | CborMap;
export type CborMap = Map<number | string, CborValue>;

/** Far beyond WebAuthn's deepest structure (attestation object → attStmt → x5c → certificate: 3). */
export const MAX_DEPTH = 16;

function fail(what: string): never {
  throw new WebAuthnError("malformed", `CBOR: ${what}`);
}

class Reader {
  at: number;
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    offset: number,
  ) {
    this.at = offset;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get left(): number {
    return this.bytes.length - this.at;
  }

  need(n: number): void {
    if (n > this.left) fail("truncated input");
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.at++]!;
  }

  /** The argument of an initial byte: its value, or its 1-, 2-, 4- or 8-byte extension. */
  argument(info: number): number {
    if (info < 24) return info;
    const v = this.view;
    switch (info) {
      case 24:
        return this.u8();
      case 25:
        this.need(2);
        this.at += 2;
        return v.getUint16(this.at - 2);
      case 26:
        this.need(4);
        this.at += 4;
        return v.getUint32(this.at - 4);
      case 27: {
        this.need(8);
        const high = v.getUint32(this.at);
        const low = v.getUint32(this.at + 4);
        this.at += 8;
        if (high > 0x1fffff) fail("integer beyond the safe range");
        return high * 0x1_0000_0000 + low;
      }
      case 31:
        return fail("indefinite lengths are not supported");
      default:
        return fail("reserved additional information");
    }
  }

  take(n: number): Uint8Array {
    this.need(n);
    this.at += n;
    return this.bytes.subarray(this.at - n, this.at);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function item(r: Reader, depth: number): CborValue {
  if (depth > MAX_DEPTH) fail("nested too deeply");
  const initial = r.u8();
  const major = initial >> 5;
  const info = initial & 0x1f;
  switch (major) {
    case 0:
      return r.argument(info);
    case 1: {
      const n = r.argument(info);
      if (n > Number.MAX_SAFE_INTEGER - 1) fail("integer beyond the safe range");
      return -1 - n;
    }
    case 2:
      return r.take(r.argument(info)).slice();
    case 3:
      try {
        return utf8.decode(r.take(r.argument(info)));
      } catch (e) {
        if (e instanceof WebAuthnError) throw e;
        return fail("text string is not UTF-8");
      }
    case 4: {
      const count = r.argument(info);
      // Every item takes at least one byte: a count beyond the bytes left is a lie.
      if (count > r.left) fail("truncated input");
      const out: CborValue[] = [];
      for (let i = 0; i < count; i++) out.push(item(r, depth + 1));
      return out;
    }
    case 5: {
      const count = r.argument(info);
      if (count * 2 > r.left) fail("truncated input");
      const out: CborMap = new Map();
      for (let i = 0; i < count; i++) {
        const key = item(r, depth + 1);
        if (typeof key !== "number" && typeof key !== "string") fail("map key is neither an integer nor a text string");
        if (out.has(key)) fail("duplicate map key");
        out.set(key, item(r, depth + 1));
      }
      return out;
    }
    case 6:
      return fail("tags are not supported");
    default: // 7: floats and simple values
      if (info === 20) return false;
      if (info === 21) return true;
      if (info === 22) return null;
      if (info >= 25 && info <= 27) return fail("floats are not supported");
      if (info === 31) return fail("indefinite lengths are not supported");
      return fail("unsupported simple value");
  }
}

/**
 * Decodes one CBOR item starting at `offset` and says where it ended: for the COSE key inside
 * authenticator data, which extensions may follow.
 */
export function decodeCborPrefix(bytes: Uint8Array, offset = 0): { value: CborValue; end: number } {
  if (offset < 0 || offset > bytes.length) fail("offset out of range");
  const r = new Reader(bytes, offset);
  const value = item(r, 0);
  return { value, end: r.at };
}

/** Decodes exactly one CBOR item that fills `bytes`: trailing bytes are refused. */
export function decodeCbor(bytes: Uint8Array): CborValue {
  const { value, end } = decodeCborPrefix(bytes, 0);
  if (end !== bytes.length) fail("trailing bytes after the item");
  return value;
}

export function isCborMap(value: CborValue | undefined): value is CborMap {
  return value instanceof Map;
}
