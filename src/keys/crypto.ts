import { IsolateCache } from "../lib/isolate-cache";
import { bytesToBase62, randomBase62, toHex } from "../lib/encoding";
import { endsWithChecksum, withChecksum } from "./checksum";
import { ID_LENGTH, SECRET_LENGTH, TAG_LENGTH, TYPE_CODES, keyIdFromBody, type KeyFormat, type KeyType, type ParsedKey } from "./format";

/** Bumped if the at-rest hashing ever changes; stored per key so old keys keep verifying. */
export const HASH_VERSION = 1;

// Importing a key is the costly part of an HMAC; one per pepper per isolate.
const importedKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(pepper: string): Promise<CryptoKey> {
  let key = importedKeys.get(pepper);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(pepper), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    importedKeys.set(pepper, key);
  }
  return key;
}

/**
 * One HMAC-SHA-256 under the pepper per presented key, over everything before the tag (prefix,
 * type, id, secret). Its first base62 digits are the tag; all of it, in hex, is the digest kept
 * at rest. Knowing a stored digest gives no key: the secret is inside the HMAC's input, and
 * forging a tag needs the pepper. The format is part of the input, so a checksummed key with its
 * checksum cut off is not a valid legacy key: each secret has exactly one spelling.
 */
async function keyMac(pepper: string, signed: string, format: KeyFormat): Promise<Uint8Array> {
  const domain = format === "legacy" ? `key:v${HASH_VERSION}:` : `key:v${HASH_VERSION}c:`;
  return new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(pepper), new TextEncoder().encode(domain + signed)));
}

/** The digest stored at rest for a full key (either format, told apart by the body's length). */
export async function hashKey(pepper: string, fullKey: string): Promise<string> {
  const legacy = fullKey.length - fullKey.lastIndexOf("_") - 1 === ID_LENGTH + SECRET_LENGTH + TAG_LENGTH;
  const signed = legacy ? fullKey.slice(0, -TAG_LENGTH) : fullKey.slice(0, -2 * TAG_LENGTH);
  return toHex((await keyMac(pepper, signed, legacy ? "legacy" : "checksummed")).buffer as ArrayBuffer);
}

/**
 * Digests of genuine keys this isolate verified lately, by the full key: a busy key's HMAC, hex and
 * checksum were a tenth of its warm request's CPU. Only keys whose tag verified are kept, so a
 * flood of forged keys cannot fill it (they are checked as ever, at no storage cost). The digest is
 * a pure function of the key and the pepper, so a remembered one is exactly what the HMAC would
 * give; whether the key is still valid is decided by its record and its guard on every request, as
 * before. The map is looked up by hashing the whole key: no prefix comparison for timing to read.
 */
const verified = new IsolateCache<string, { pepper: string; digest: string }>({ max: 10_000, ttlMs: 60_000 });

/**
 * The key's digest when its checksum (if it has one) and tag are genuine, null for a forged or
 * mistyped key: a CPU check, no storage. The tag does not cover the checksum, so it is checked here.
 */
export async function verifiedDigest(pepper: string, key: ParsedKey): Promise<string | null> {
  const known = verified.get(key.full);
  if (known?.pepper === pepper) return known.digest;
  if (key.format === "checksummed" && !endsWithChecksum(key.full)) return null;
  const mac = await keyMac(pepper, key.signed, key.format);
  if (!constantTimeEqual(bytesToBase62(mac, TAG_LENGTH), key.tag)) return null;
  const digest = toHex(mac.buffer as ArrayBuffer);
  verified.set(key.full, { pepper, digest });
  return digest;
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  if (left.byteLength !== right.byteLength) return false;
  return crypto.subtle.timingSafeEqual(left, right);
}

export interface MintedKey {
  keyId: string;
  full: string;
  hash: string;
  lastFour: string;
}

/**
 * A fresh key, with its public checksum; pass `idPart` to rotate the secret of an existing key id.
 * `format: "legacy"` mints a key as issued before checksums existed: for tests proving those still work.
 */
export async function mintKey(
  pepper: string,
  keyPrefix: string,
  type: KeyType,
  idPart = randomBase62(ID_LENGTH),
  format: KeyFormat = "checksummed",
): Promise<MintedKey> {
  const signed = `${keyPrefix}_${TYPE_CODES[type]}_${idPart}${randomBase62(SECRET_LENGTH)}`;
  const mac = await keyMac(pepper, signed, format);
  const tagged = signed + bytesToBase62(mac, TAG_LENGTH);
  const full = format === "legacy" ? tagged : withChecksum(tagged);
  return { keyId: keyIdFromBody(idPart), full, hash: toHex(mac.buffer as ArrayBuffer), lastFour: full.slice(-4) };
}
