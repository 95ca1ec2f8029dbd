import { WebAuthnError } from "./errors";

/** Bytes of each of r and s in a P-256 signature as WebCrypto wants it (IEEE P1363: r ‖ s). */
const SCALAR_BYTES = 32;

function bad(what: string): never {
  throw new WebAuthnError("bad_signature", `ECDSA signature: ${what}`);
}

/**
 * Reads one DER INTEGER at `at` into `out[offset..offset+32)` (left-padded), and returns where it
 * ended. Strict DER (X.690 §8.3, §10.1): short-form length only (a P-256 integer takes at most 33
 * bytes), no superfluous leading 0x00, not negative, not zero, at most 32 significant bytes.
 */
function readInteger(der: Uint8Array, at: number, out: Uint8Array, offset: number): number {
  if (der[at] !== 0x02) bad("expected an INTEGER");
  const length = der[at + 1];
  if (length === undefined || length === 0 || length > SCALAR_BYTES + 1) bad("INTEGER length out of range");
  const start = at + 2;
  const end = start + length;
  if (end > der.length) bad("INTEGER truncated");
  const first = der[start]!;
  if (first & 0x80) bad("negative INTEGER");
  let from = start;
  if (first === 0x00) {
    if (length === 1) bad("zero INTEGER");
    if ((der[start + 1]! & 0x80) === 0) bad("INTEGER with a superfluous leading zero");
    from = start + 1;
  }
  if (end - from > SCALAR_BYTES) bad("INTEGER longer than 32 bytes");
  out.set(der.subarray(from, end), offset + SCALAR_BYTES - (end - from));
  return end;
}

/**
 * Converts a DER-encoded ECDSA-Sig-Value (`SEQUENCE { r INTEGER, s INTEGER }`, what
 * authenticators send for ES256) into the raw 64-byte r ‖ s that WebCrypto verifies. Strict: the
 * SEQUENCE must use a short-form length equal to the rest of the input, contain exactly two
 * minimal positive INTEGERs of at most 32 significant bytes, and nothing may follow. Anything else
 * is `bad_signature`: strict DER has one encoding per signature, so a tampered encoding never
 * passes as the same signature.
 */
export function derToRawEcdsa(der: Uint8Array): Uint8Array<ArrayBuffer> {
  // SEQUENCE header (2) + two INTEGERs of at most 2 + 33 bytes each.
  if (der.length < 8 || der.length > 2 + 2 * (2 + SCALAR_BYTES + 1)) bad("length out of range");
  if (der[0] !== 0x30) bad("expected a SEQUENCE");
  // Content is at most 70 bytes, so DER requires the short length form (< 0x80).
  if (der[1]! !== der.length - 2) bad("SEQUENCE length does not match the input");
  const raw = new Uint8Array(2 * SCALAR_BYTES);
  const afterR = readInteger(der, 2, raw, 0);
  const afterS = readInteger(der, afterR, raw, SCALAR_BYTES);
  if (afterS !== der.length) bad("bytes after the second INTEGER");
  return raw;
}
