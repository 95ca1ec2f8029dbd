import { describe, expect, it } from "vitest";
import { decodeCbor, type CborMap } from "../../../src/dashboard/webauthn/cbor";
import { encodeStoredPublicKey, importCoseKey, importStoredPublicKey } from "../../../src/dashboard/webauthn/cose";
import { derToRawEcdsa } from "../../../src/dashboard/webauthn/der";
import { b64url, cbor, coseKeyMap, keyPairFor, refusal, sign, utf8, type Encodable } from "./authenticator";

// A credential's COSE key becomes the WebCrypto key that checks every later sign-in: only ES256
// and RS256, only well-formed public keys, and the stored form must re-import to the same key.

const message = utf8("authenticatorData || SHA-256(clientDataJSON)");

async function verifies(alg: -7 | -257, key: CryptoKey, signature: Uint8Array) {
  return alg === -7
    ? crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, derToRawEcdsa(signature), message)
    : crypto.subtle.verify({ name: "RSASSA-PKCS1-v1_5" }, key, signature, message);
}

const variant = (base: Map<number, Encodable>, changes: [number, Encodable | undefined][]) => {
  const out = new Map(base);
  for (const [k, v] of changes) if (v === undefined) out.delete(k);
  else out.set(k, v);
  return decodeCbor(cbor(out)) as CborMap;
};

describe("COSE keys", () => {
  for (const alg of [-7, -257] as const) {
    it(`imports an ${alg === -7 ? "ES256" : "RS256"} key that verifies its owner's signatures and no one else's, also after storing it`, async () => {
      const pair = await keyPairFor(alg);
      const coseBytes = cbor(await coseKeyMap(alg, pair.publicKey));
      const imported = await importCoseKey(decodeCbor(coseBytes) as CborMap);
      expect(imported.alg).toBe(alg);
      const signature = await sign(alg, pair.privateKey, message);
      expect(await verifies(alg, imported.key, signature)).toBe(true);

      const stored = encodeStoredPublicKey(coseBytes);
      expect(stored).toBe(b64url(coseBytes));
      const again = await importStoredPublicKey(stored);
      expect(again.alg).toBe(alg);
      expect(await verifies(alg, again.key, signature)).toBe(true);
      const other = await sign(alg, pair.privateKey, utf8("something else"));
      expect(await verifies(alg, again.key, other)).toBe(false);
    });
  }

  it("refuses other algorithms and keys whose parameters contradict their algorithm", async () => {
    const ec = await coseKeyMap(-7, (await keyPairFor(-7)).publicKey);
    const rsa = await coseKeyMap(-257, (await keyPairFor(-257)).publicKey);
    const cases: Record<string, CborMap> = {
      "EdDSA (OKP, -8)": decodeCbor(cbor(new Map<number, Encodable>([[1, 1], [3, -8], [-1, 6], [-2, new Uint8Array(32)]]))) as CborMap,
      "ES384 (-35, P-384)": variant(ec, [[3, -35], [-1, 2]]),
      "PS256 (-37)": variant(rsa, [[3, -37]]),
      "RS1 (-65535)": variant(rsa, [[3, -65535]]),
      "no alg": variant(ec, [[3, undefined]]),
      "alg as text": variant(ec, [[3, "ES256"]]),
      "ES256 on P-384": variant(ec, [[-1, 2]]),
      "ES256 with kty RSA": variant(ec, [[1, 3]]),
      "RS256 with kty EC2": variant(rsa, [[1, 2]]),
      "RSA 1024": variant(rsa, [[-1, new Uint8Array(128).fill(0xc3)]]),
      "RSA 8192": variant(rsa, [[-1, new Uint8Array(1024).fill(0xc3)]]),
    };
    for (const [name, cose] of Object.entries(cases)) expect(await refusal(() => importCoseKey(cose)), name).toBe("unsupported_algorithm");
  });

  it("refuses malformed ES256 and RS256 keys: wrong sizes, points off the curve, private parameters", async () => {
    const ec = await coseKeyMap(-7, (await keyPairFor(-7)).publicKey);
    const rsa = await coseKeyMap(-257, (await keyPairFor(-257)).publicKey);
    const cases: Record<string, CborMap> = {
      "x of 31 bytes": variant(ec, [[-2, new Uint8Array(31).fill(1)]]),
      "y missing": variant(ec, [[-3, undefined]]),
      "x as a number": variant(ec, [[-2, 5]]),
      "point off the curve": variant(ec, [[-3, new Uint8Array(32).fill(1)]]),
      "EC private key d": variant(ec, [[-4, new Uint8Array(32).fill(1)]]),
      "RSA e even": variant(rsa, [[-2, new Uint8Array([1, 0, 0])]]),
      "RSA e of 5 bytes": variant(rsa, [[-2, new Uint8Array([1, 0, 0, 0, 1])]]),
      "RSA n missing": variant(rsa, [[-1, undefined]]),
      "RSA private exponent d": variant(rsa, [[-3, new Uint8Array(256).fill(1)]]),
    };
    for (const [name, cose] of Object.entries(cases)) expect(await refusal(() => importCoseKey(cose)), name).toBe("malformed");
  });

  it("refuses a stored key that is not exactly one COSE map", async () => {
    const coseBytes = cbor(await coseKeyMap(-7, (await keyPairFor(-7)).publicKey));
    expect(await refusal(() => importStoredPublicKey(b64url(new Uint8Array([...coseBytes, 0]))))).toBe("malformed");
    expect(await refusal(() => importStoredPublicKey(b64url(cbor([1, 2]))))).toBe("malformed");
    expect(await refusal(() => importStoredPublicKey("not base64url!"))).toBe("malformed");
  });
});
