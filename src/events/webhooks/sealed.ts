/**
 * Endpoint secrets at rest. A webhook secret must be readable to sign with, so it cannot be stored
 * as a hash like a key's: it is sealed with AES-256-GCM under a key derived (HKDF-SHA-256) from
 * `KEY_PEPPER`, so a copy of the database alone yields no secret. The endpoint's id is the
 * additional data: a sealed secret moved to another row does not open. Pure apart from WebCrypto.
 */
const VERSION = "v1";
const INFO = new TextEncoder().encode("keyward webhook secrets v1");

const derived = new Map<string, Promise<CryptoKey>>();

function sealingKey(pepper: string): Promise<CryptoKey> {
  let key = derived.get(pepper);
  if (!key) {
    key = crypto.subtle
      .importKey("raw", new TextEncoder().encode(pepper), "HKDF", false, ["deriveKey"])
      .then((base) =>
        crypto.subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: INFO }, base, { name: "AES-GCM", length: 256 }, false, [
          "encrypt",
          "decrypt",
        ]),
      );
    derived.set(pepper, key);
  }
  return key;
}

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** `v1.<base64 iv>.<base64 ciphertext>` of the secret, bound to the endpoint `webhookId`. */
export async function sealSecret(pepper: string, webhookId: string, secret: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(webhookId) },
    await sealingKey(pepper),
    new TextEncoder().encode(secret),
  );
  return `${VERSION}.${toBase64(iv)}.${toBase64(new Uint8Array(sealed))}`;
}

/** The secret a `sealSecret` call sealed for this endpoint; throws if it was sealed under another pepper or endpoint. */
export async function openSecret(pepper: string, webhookId: string, sealed: string): Promise<string> {
  const [version, iv, data] = sealed.split(".");
  if (version !== VERSION || !iv || !data) throw new Error("not a sealed webhook secret");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64(iv), additionalData: new TextEncoder().encode(webhookId) },
    await sealingKey(pepper),
    fromBase64(data),
  );
  return new TextDecoder().decode(plain);
}
