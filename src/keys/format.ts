/**
 * Key format: `{KEY_PREFIX}_{type}_{body}`, body = key id (16) + secret (24) + tag (6) + checksum (6),
 * all base62. The id is public (lookup, display), the secret holds ~142 bits of CSPRNG entropy, the
 * tag is an HMAC over everything before it, so forged or mistyped keys die before any storage read,
 * and the checksum (./checksum.ts) is a public CRC-32 over everything before it, so secret scanners
 * can tell our keys from noise offline (DESIGN §9). Keys issued before the checksum existed (body of
 * 46, no checksum: `legacy`) keep parsing and working; the body's length tells the two apart.
 * Pure: no I/O, no crypto; see `./crypto` for the HMACs.
 */
import { CHECKSUM_LENGTH, endsWithChecksum } from "./checksum";

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
const LEGACY_BODY = ID_LENGTH + SECRET_LENGTH + TAG_LENGTH;
const BODY = new RegExp(`^(?:[0-9A-Za-z]{${LEGACY_BODY}}|[0-9A-Za-z]{${LEGACY_BODY + CHECKSUM_LENGTH}})$`);

/** `checksummed`: issued with a public checksum (every new key); `legacy`: issued before it existed. */
export type KeyFormat = "legacy" | "checksummed";

export interface ParsedKey {
  /** Public key id as the API shows it: `key_` + the id part of the body. */
  keyId: string;
  type: KeyType;
  /** Everything the tag covers. */
  signed: string;
  tag: string;
  full: string;
  format: KeyFormat;
}

export const keyIdFromBody = (idPart: string) => `key_${idPart}`;
export const isKeyId = (s: string) => /^key_[0-9A-Za-z]{16}$/.test(s);

/**
 * Splits a presented key; null for anything not shaped like one of ours. Shape only: a mistyped
 * key still parses (so logs can mask it); `verifiedDigest` (./crypto.ts) checks checksum and tag.
 */
export function parseKey(presented: string, keyPrefix: string): ParsedKey | null {
  if (presented.length > 128) return null;
  const parts = presented.split("_");
  if (parts.length !== 3 || parts[0] !== keyPrefix) return null;
  const type = TYPES_BY_CODE[parts[1]!];
  const body = parts[2]!;
  if (!type || !BODY.test(body)) return null;
  const format: KeyFormat = body.length === LEGACY_BODY ? "legacy" : "checksummed";
  const tagEnd = presented.length - (format === "checksummed" ? CHECKSUM_LENGTH : 0);
  return {
    keyId: keyIdFromBody(body.slice(0, ID_LENGTH)),
    type,
    signed: presented.slice(0, tagEnd - TAG_LENGTH),
    tag: presented.slice(tagEnd - TAG_LENGTH, tagEnd),
    full: presented,
    format,
  };
}

const CHECKSUMMED_TOKEN = new RegExp(
  `^[0-9A-Za-z]{1,32}_(?:${Object.values(TYPE_CODES).join("|")})_[0-9A-Za-z]{${LEGACY_BODY + CHECKSUM_LENGTH}}$`,
);

/**
 * Whether `token` is shaped like a Keyward key issued with a public checksum and its checksum is
 * right: `{prefix}_{sk|pk|tk|pat}_{52 base62}`, the last 6 being the CRC-32 of everything before
 * them (./checksum.ts). What a secret scanner can check offline, with no secret; it says nothing
 * about whether the key exists (only the tag and storage can). Any prefix of up to 32 base62
 * characters is accepted, so a scanner need not know the deployment's KEY_PREFIX. Keys issued
 * before checksums existed answer false.
 *
 * @example
 * ```ts
 * hasValidChecksum("kw_sk_…"); // true for a freshly issued key, false after any one-character typo
 * ```
 */
export const hasValidChecksum = (token: string): boolean => token.length <= 128 && CHECKSUMMED_TOKEN.test(token) && endsWithChecksum(token);

/** `kw_sk_<id>`: what lists and logs show instead of a key. */
export const displayPrefix = (keyPrefix: string, type: KeyType, keyId: string) =>
  `${keyPrefix}_${TYPE_CODES[type]}_${keyId.slice(4)}`;

/** A key reduced to something safe to log: its display prefix and last four. */
export function maskKey(presented: string): string {
  if (presented.length < 16) return "****";
  return `${presented.slice(0, Math.min(presented.length - 4, 22))}…${presented.slice(-4)}`;
}
