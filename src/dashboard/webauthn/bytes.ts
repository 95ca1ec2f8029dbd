import { WebAuthnError } from "./errors";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const LOOKUP = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** Unpadded base64url (RFC 4648 §5), as WebAuthn's JSON serialisation uses it. */
export function toBase64Url(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let c = 0; c < chars; c++) out += ALPHABET[(n >> (18 - 6 * c)) & 63];
  }
  return out;
}

/**
 * Strict unpadded base64url: only the URL-safe alphabet, no padding, no impossible length, and no
 * stray bits in the last character, so each byte string has exactly one accepted spelling.
 * Throws `malformed` naming `field` (never echoing the input).
 */
export function fromBase64Url(text: unknown, field: string, maxBytes = 65_536): Uint8Array<ArrayBuffer> {
  if (typeof text !== "string") throw new WebAuthnError("malformed", `${field} is not a base64url string`);
  if (text.length % 4 === 1 || text.length > Math.ceil((maxBytes * 4) / 3)) {
    throw new WebAuthnError("malformed", `${field} has an impossible length`);
  }
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let buffer = 0;
  let bits = 0;
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? LOOKUP[code]! : -1;
    if (value < 0) throw new WebAuthnError("malformed", `${field} is not unpadded base64url`);
    buffer = ((buffer << 6) | value) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (buffer >> bits) & 0xff;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) throw new WebAuthnError("malformed", `${field} is not canonical base64url`);
  return out;
}

/** Equality whose time depends on the lengths only, never on where the contents differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export async function sha256(bytes: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** 32 bytes from the CSPRNG, base64url: a challenge or a user handle. */
export function randomBase64Url(length = 32): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(length)));
}
