import { bytesToBase62, randomBase62, toHex } from "../lib/encoding";
import { ID_LENGTH, SECRET_LENGTH, TAG_LENGTH, TYPE_CODES, keyIdFromBody, type KeyType, type ParsedKey } from "./format";

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

// Domain separation: the tag and the stored digest are HMACs of different messages, so one never helps forge the other.
async function hmac(pepper: string, message: string): Promise<ArrayBuffer> {
  return crypto.subtle.sign("HMAC", await hmacKey(pepper), new TextEncoder().encode(message));
}

async function tagFor(pepper: string, signed: string): Promise<string> {
  return bytesToBase62(new Uint8Array(await hmac(pepper, `tag:v1:${signed}`)), TAG_LENGTH);
}

/** The digest stored at rest: HMAC-SHA-256 under the pepper, hex. */
export async function hashKey(pepper: string, fullKey: string): Promise<string> {
  return toHex(await hmac(pepper, `key:v${HASH_VERSION}:${fullKey}`));
}

/** True when the tag matches: a pure CPU check that needs no storage. */
export async function hasValidTag(pepper: string, key: ParsedKey): Promise<boolean> {
  return constantTimeEqual(await tagFor(pepper, key.signed), key.tag);
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

/** A fresh key; pass `idPart` to rotate the secret of an existing key id. */
export async function mintKey(pepper: string, keyPrefix: string, type: KeyType, idPart = randomBase62(ID_LENGTH)): Promise<MintedKey> {
  const signed = `${keyPrefix}_${TYPE_CODES[type]}_${idPart}${randomBase62(SECRET_LENGTH)}`;
  const full = signed + (await tagFor(pepper, signed));
  return { keyId: keyIdFromBody(idPart), full, hash: await hashKey(pepper, full), lastFour: full.slice(-4) };
}
