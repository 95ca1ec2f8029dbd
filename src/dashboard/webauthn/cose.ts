import { toBase64Url, fromBase64Url } from "./bytes";
import { decodeCbor, isCborMap, type CborMap, type CborValue } from "./cbor";
import { WebAuthnError, malformed } from "./errors";

/** COSE algorithm identifiers we accept (IANA "COSE Algorithms"). */
export const COSE_ALG_ES256 = -7;
export const COSE_ALG_RS256 = -257;
export type CoseAlgorithm = typeof COSE_ALG_ES256 | typeof COSE_ALG_RS256;
export const SUPPORTED_ALGORITHMS: readonly CoseAlgorithm[] = [COSE_ALG_ES256, COSE_ALG_RS256];

/** COSE_Key labels (RFC 9052 §7, RFC 9053 §7, RFC 8230 §4). */
const KTY = 1;
const ALG = 3;
const KTY_EC2 = 2;
const KTY_RSA = 3;
const EC2_CRV = -1;
const EC2_X = -2;
const EC2_Y = -3;
const EC2_D = -4;
const CRV_P256 = 1;
const RSA_N = -1;
const RSA_E = -2;
const RSA_D = -3;

/** RSA moduli we accept, in bytes: 2048 to 4096 bits. */
const RSA_MIN_BYTES = 256;
const RSA_MAX_BYTES = 512;
/** Public exponents up to 32 bits (65537 in practice). */
const RSA_MAX_E_BYTES = 4;

/** A credential public key ready for `crypto.subtle.verify`. */
export interface VerificationKey {
  alg: CoseAlgorithm;
  key: CryptoKey;
}

function unsupported(what: string): never {
  throw new WebAuthnError("unsupported_algorithm", what);
}

function bytesAt(map: CborMap, label: number, what: string): Uint8Array {
  const value: CborValue | undefined = map.get(label);
  if (!(value instanceof Uint8Array)) malformed(`COSE key ${what} is missing or not a byte string`);
  return value;
}

function withoutLeadingZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

/**
 * The algorithm a COSE_Key declares, if it is one we accept and its parameters agree with it:
 * ES256 needs kty 2 (EC2) on crv 1 (P-256); RS256 needs kty 3 (RSA). Anything else (EdDSA, ES384,
 * PS256, a missing `alg`, an `alg` that contradicts `kty` or `crv`) is `unsupported_algorithm`.
 */
export function coseAlgorithm(cose: CborMap): CoseAlgorithm {
  const alg = cose.get(ALG);
  const kty = cose.get(KTY);
  if (alg === COSE_ALG_ES256) {
    if (kty !== KTY_EC2 || cose.get(EC2_CRV) !== CRV_P256) unsupported("ES256 key that is not EC2 on P-256");
    return COSE_ALG_ES256;
  }
  if (alg === COSE_ALG_RS256) {
    if (kty !== KTY_RSA) unsupported("RS256 key that is not RSA");
    return COSE_ALG_RS256;
  }
  return unsupported("credential algorithm is neither ES256 nor RS256");
}

/**
 * Imports a COSE_Key as a WebCrypto verification key. ES256: x and y of 32 bytes each, imported as
 * a P-256 JWK (WebCrypto refuses points off the curve, which we report as `malformed`). RS256: n of
 * 2048 to 4096 bits and e of at most 32 bits, imported for RSASSA-PKCS1-v1_5 with SHA-256. A key
 * carrying private parameters is refused: an authenticator never sends one.
 */
export async function importCoseKey(cose: CborMap): Promise<VerificationKey> {
  const alg = coseAlgorithm(cose);
  let key: CryptoKey;
  if (alg === COSE_ALG_ES256) {
    const x = bytesAt(cose, EC2_X, "x");
    const y = bytesAt(cose, EC2_Y, "y");
    if (x.length !== 32 || y.length !== 32) malformed("COSE key x or y is not 32 bytes");
    if (cose.has(EC2_D)) malformed("COSE key holds a private key");
    const jwk: JsonWebKey = { kty: "EC", crv: "P-256", x: toBase64Url(x), y: toBase64Url(y), ext: true };
    key = await importOrMalformed(jwk, { name: "ECDSA", namedCurve: "P-256" });
  } else {
    const n = withoutLeadingZeros(bytesAt(cose, RSA_N, "n"));
    const e = withoutLeadingZeros(bytesAt(cose, RSA_E, "e"));
    if (cose.has(RSA_D)) malformed("COSE key holds a private key");
    if (n.length < RSA_MIN_BYTES || n.length > RSA_MAX_BYTES) unsupported("RSA modulus outside 2048 to 4096 bits");
    if (e.length > RSA_MAX_E_BYTES || (e.length === 1 && e[0]! < 3) || (e[e.length - 1]! & 1) === 0) {
      malformed("RSA public exponent is not a small odd number");
    }
    const jwk: JsonWebKey = { kty: "RSA", n: toBase64Url(n), e: toBase64Url(e), alg: "RS256", ext: true };
    key = await importOrMalformed(jwk, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" });
  }
  return { alg, key };
}

async function importOrMalformed(jwk: JsonWebKey, algorithm: SubtleCryptoImportKeyAlgorithm): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey("jwk", jwk, algorithm, false, ["verify"]);
  } catch {
    return malformed("COSE key is not a valid public key");
  }
}

/** The COSE bytes a relying party stores for a credential (base64url), as `verifyRegistration` returns them. */
export function encodeStoredPublicKey(coseBytes: Uint8Array): string {
  return toBase64Url(coseBytes);
}

/** Re-imports a stored public key (base64url COSE bytes): a single CBOR map, nothing after it. */
export async function importStoredPublicKey(stored: string): Promise<VerificationKey> {
  const value = decodeCbor(fromBase64Url(stored, "stored public key", 2048));
  if (!isCborMap(value)) malformed("stored public key is not a COSE_Key map");
  return importCoseKey(value);
}
