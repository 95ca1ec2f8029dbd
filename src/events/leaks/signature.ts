/**
 * Verifies leak reports signed the way GitHub secret scanning signs them: ECDSA P-256 with SHA-256
 * over the raw body bytes, the signature base64 DER (`Github-Public-Key-Signature`), made by the
 * key named in `Github-Public-Key-Identifier`, one of the PEM keys in `LEAK_REPORT_PUBLIC_KEYS`.
 * Pure: WebCrypto only, no I/O.
 */

/** One published verification key, as GitHub lists them at /meta/public_keys/secret_scanning. */
export interface ReportKey {
  keyIdentifier: string;
  key: CryptoKey;
}

/** Thrown for a `LEAK_REPORT_PUBLIC_KEYS` that is not what the README documents: the operator's fault, never the reporter's. */
export class ReportKeysMalformed extends Error {}

// Importing is the costly part; once per configured string per isolate (vars change only with a deploy).
const parsedKeys = new Map<string, Promise<ReportKey[]>>();

/**
 * The verification keys in `LEAK_REPORT_PUBLIC_KEYS`: a JSON array `[{key_identifier, key}]` (key:
 * a PEM SPKI public key), or GitHub's own answer `{public_keys: [...]}` pasted whole. Unset or
 * empty: no keys (every signature is then unknown). Rejects with `ReportKeysMalformed`.
 */
export function reportKeys(config: string | undefined): Promise<ReportKey[]> {
  const text = config?.trim() ?? "";
  if (text === "") return Promise.resolve([]);
  let keys = parsedKeys.get(text);
  if (!keys) {
    keys = importAll(text);
    // A failed import is not cached as a success, but its rejection is: the string will not change.
    parsedKeys.set(text, keys);
  }
  return keys;
}

async function importAll(text: string): Promise<ReportKey[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ReportKeysMalformed("LEAK_REPORT_PUBLIC_KEYS is not JSON");
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { public_keys?: unknown } | null)?.public_keys;
  if (!Array.isArray(list)) throw new ReportKeysMalformed("LEAK_REPORT_PUBLIC_KEYS is not a list of keys");
  return Promise.all(
    list.map(async (entry: unknown) => {
      const { key_identifier, key } = (entry ?? {}) as { key_identifier?: unknown; key?: unknown };
      if (typeof key_identifier !== "string" || typeof key !== "string") {
        throw new ReportKeysMalformed("each entry needs a string key_identifier and key");
      }
      const der = pemToDer(key);
      if (!der) throw new ReportKeysMalformed(`key ${key_identifier} is not a PEM public key`);
      try {
        const imported = await crypto.subtle.importKey("spki", der, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
        return { keyIdentifier: key_identifier, key: imported };
      } catch {
        throw new ReportKeysMalformed(`key ${key_identifier} is not an ECDSA P-256 public key`);
      }
    }),
  );
}

/** The DER bytes of a `-----BEGIN PUBLIC KEY-----` block; null for anything else. */
export function pemToDer(pem: string): Uint8Array | null {
  const match = /^\s*-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----\s*$/.exec(pem);
  if (!match) return null;
  const bytes = decodeBase64(match[1]!.replace(/\s+/g, ""));
  return bytes && bytes.length > 0 ? bytes : null;
}

/** Strict base64 (standard alphabet, padded or not); null when it is not. */
export function decodeBase64(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.replace(/=+$/, "").length % 4 === 1) return null;
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

const P256_SIZE = 32;

/**
 * An ASN.1 DER `ECDSA-Sig-Value` (SEQUENCE { r INTEGER, s INTEGER }) as WebCrypto wants it: r || s,
 * each left-padded to 32 bytes (IEEE P1363). Strict: definite minimal lengths, minimal positive
 * integers of at most 32 significant bytes, nothing trailing; null for anything else, so one
 * signature has one encoding.
 */
export function derToRawSignature(der: Uint8Array): Uint8Array | null {
  // Both integers fit in 33 bytes, so the sequence is under 128 bytes: short-form lengths only.
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return null;
  const raw = new Uint8Array(2 * P256_SIZE);
  let at = 2;
  for (let i = 0; i < 2; i++) {
    if (der[at] !== 0x02) return null;
    const length = der[at + 1]!;
    if (length === 0 || length > P256_SIZE + 1 || at + 2 + length > der.length) return null;
    let value = der.subarray(at + 2, at + 2 + length);
    if (value[0]! & 0x80) return null; // negative
    if (value[0] === 0 && (length === 1 || !(value[1]! & 0x80))) return null; // not minimal (or zero)
    if (value[0] === 0) value = value.subarray(1);
    if (value.length > P256_SIZE) return null;
    raw.set(value, (i + 1) * P256_SIZE - value.length);
    at += 2 + length;
  }
  return at === der.length ? raw : null;
}

/**
 * Whether `signature` (base64 DER, as sent) is a valid signature of `body` by the key named
 * `identifier`. Unknown identifier, malformed signature and wrong signature all answer false.
 */
export async function verifyReport(keys: readonly ReportKey[], identifier: string, signature: string, body: Uint8Array): Promise<boolean> {
  const key = keys.find((k) => k.keyIdentifier === identifier);
  if (!key) return false;
  const der = decodeBase64(signature.trim());
  const raw = der && derToRawSignature(der);
  if (!raw) return false;
  return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key.key, raw, body);
}
