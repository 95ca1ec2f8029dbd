/**
 * The public checksum that ends every key issued since DESIGN §9: CRC-32 (IEEE 802.3, the one
 * zlib and GitHub's own tokens use) of everything before it, as 6 base62 digits
 * (`0-9A-Za-z`, most significant first, zero-padded). Anyone can compute it, so a secret scanner
 * tells a Keyward key from noise offline; it proves nothing about authenticity (the secret tag does).
 * Pure: no I/O, no crypto.
 */

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export const CHECKSUM_LENGTH = 6;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE) of a string's UTF-8 bytes, as an unsigned 32-bit integer. */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of new TextEncoder().encode(text)) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The 6-character checksum of `covered` (62^6 > 2^32, so every CRC-32 fits, and distinct CRCs never share digits). */
export function checksumOf(covered: string): string {
  let value = crc32(covered);
  let out = "";
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[value % 62]! + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/** The token with its checksum appended. */
export const withChecksum = (covered: string) => covered + checksumOf(covered);

/** Whether `token` ends with the checksum of everything before it (shape aside). */
export function endsWithChecksum(token: string): boolean {
  if (token.length <= CHECKSUM_LENGTH) return false;
  return checksumOf(token.slice(0, -CHECKSUM_LENGTH)) === token.slice(-CHECKSUM_LENGTH);
}
