/**
 * Key format: `{KEY_PREFIX}_{type}_{body}`, body = key id (16) + secret (24) + tag (6), all base62.
 * The id is public (lookup, display), the secret holds ~142 bits of CSPRNG entropy, and the tag is an
 * HMAC over everything before it, so forged or mistyped keys die before any storage read.
 * Pure: no I/O, no crypto; see `./crypto` for the HMACs.
 */
export const KEY_TYPES = ["secret", "publishable", "tokenization", "personal"] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export const TYPE_CODES: Record<KeyType, string> = {
  secret: "sk",
  publishable: "pk",
  tokenization: "tk",
  personal: "pat",
};
const TYPES_BY_CODE = Object.fromEntries(Object.entries(TYPE_CODES).map(([t, c]) => [c, t])) as Record<string, KeyType>;

export const ID_LENGTH = 16;
export const SECRET_LENGTH = 24;
export const TAG_LENGTH = 6;
const BODY = new RegExp(`^[0-9A-Za-z]{${ID_LENGTH + SECRET_LENGTH + TAG_LENGTH}}$`);

export interface ParsedKey {
  /** Public key id as the API shows it: `key_` + the id part of the body. */
  keyId: string;
  type: KeyType;
  /** Everything the tag covers. */
  signed: string;
  tag: string;
  full: string;
}

export const keyIdFromBody = (idPart: string) => `key_${idPart}`;
export const isKeyId = (s: string) => /^key_[0-9A-Za-z]{16}$/.test(s);

/** Splits a presented key; null for anything not shaped like one of ours. */
export function parseKey(presented: string, keyPrefix: string): ParsedKey | null {
  if (presented.length > 128) return null;
  const parts = presented.split("_");
  if (parts.length !== 3 || parts[0] !== keyPrefix) return null;
  const type = TYPES_BY_CODE[parts[1]!];
  const body = parts[2]!;
  if (!type || !BODY.test(body)) return null;
  const tagStart = presented.length - TAG_LENGTH;
  return {
    keyId: keyIdFromBody(body.slice(0, ID_LENGTH)),
    type,
    signed: presented.slice(0, tagStart),
    tag: presented.slice(tagStart),
    full: presented,
  };
}

/** `kw_sk_<id>`: what lists and logs show instead of a key. */
export const displayPrefix = (keyPrefix: string, type: KeyType, keyId: string) =>
  `${keyPrefix}_${TYPE_CODES[type]}_${keyId.slice(4)}`;

/** A key reduced to something safe to log: its display prefix and last four. */
export function maskKey(presented: string): string {
  if (presented.length < 16) return "****";
  return `${presented.slice(0, Math.min(presented.length - 4, 22))}…${presented.slice(-4)}`;
}
