// A software authenticator for the WebAuthn tests: a tiny CBOR encoder, base64url and DER written
// independently of src/dashboard/webauthn (so a shared mistake cannot hide), and real WebCrypto
// keys (ECDSA P-256, RSA 2048) that make real registration and authentication responses.

import { WebAuthnError } from "../../../src/dashboard/webauthn";

export const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40, ED: 0x80 } as const;

export const RP_ID = "localhost";
export const ORIGIN = "http://localhost:8787";

// --- CBOR encoder (minimal encodings; RFC 8949 §4.2.1 preferred serialisation) -----------------

export type Encodable = number | bigint | string | boolean | null | Uint8Array | Encodable[] | Map<number | string, Encodable>;

function head(major: number, n: number | bigint): number[] {
  const v = BigInt(n);
  const m = major << 5;
  if (v < 24n) return [m | Number(v)];
  if (v < 0x100n) return [m | 24, Number(v)];
  if (v < 0x10000n) return [m | 25, Number(v >> 8n), Number(v & 0xffn)];
  const bytes = (count: number) => Array.from({ length: count }, (_, i) => Number((v >> BigInt(8 * (count - 1 - i))) & 0xffn));
  if (v < 0x1_0000_0000n) return [m | 26, ...bytes(4)];
  return [m | 27, ...bytes(8)];
}

function encodeInto(out: number[], value: Encodable): void {
  if (value === null) out.push(0xf6);
  else if (value === false) out.push(0xf4);
  else if (value === true) out.push(0xf5);
  else if (typeof value === "number" || typeof value === "bigint") {
    if (typeof value === "number" && !Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`);
    const v = BigInt(value);
    out.push(...(v >= 0n ? head(0, v) : head(1, -1n - v)));
  } else if (typeof value === "string") {
    const bytes = new TextEncoder().encode(value);
    out.push(...head(3, bytes.length), ...bytes);
  } else if (value instanceof Uint8Array) {
    out.push(...head(2, value.length), ...value);
  } else if (Array.isArray(value)) {
    out.push(...head(4, value.length));
    for (const item of value) encodeInto(out, item);
  } else {
    out.push(...head(5, value.size));
    for (const [k, v] of value) {
      encodeInto(out, k);
      encodeInto(out, v);
    }
  }
}

export function cbor(value: Encodable): Uint8Array {
  const out: number[] = [];
  encodeInto(out, value);
  return new Uint8Array(out);
}

// --- bytes -------------------------------------------------------------------------------------

export const bytes = (...parts: (Uint8Array | number[])[]) => new Uint8Array(parts.flatMap((p) => [...p]));
export const hex = (text: string) => new Uint8Array((text.match(/../g) ?? []).map((h) => parseInt(h, 16)));
export const utf8 = (text: string) => new TextEncoder().encode(text);

export function b64url(data: Uint8Array): string {
  return btoa(String.fromCharCode(...data)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function unb64url(text: string): Uint8Array {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

/** The same base64url value with `change` applied to its bytes. */
export function mutate(text: string, change: (data: Uint8Array) => Uint8Array | void): string {
  const data = unb64url(text);
  return b64url(change(data) ?? data);
}

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

export function randomChallenge(): string {
  return b64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** A DER INTEGER of an unsigned big-endian value: minimal, with a 0x00 when the high bit is set. */
function derInteger(value: Uint8Array): number[] {
  let i = 0;
  while (i < value.length - 1 && value[i] === 0) i++;
  const body = [...value.subarray(i)];
  if (body[0]! & 0x80) body.unshift(0);
  return [0x02, body.length, ...body];
}

/** WebCrypto's raw r ‖ s (64 bytes) as the DER ECDSA-Sig-Value authenticators send. */
export function rawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length !== 64) throw new Error("raw signature must be 64 bytes");
  const content = [...derInteger(raw.subarray(0, 32)), ...derInteger(raw.subarray(32))];
  return new Uint8Array([0x30, content.length, ...content]);
}

// --- keys --------------------------------------------------------------------------------------

export type Alg = -7 | -257;
const keyPairs = new Map<Alg, Promise<CryptoKeyPair>>();

/** One key pair per algorithm per test file: RSA generation is slow on a busy machine. */
export function keyPairFor(alg: Alg): Promise<CryptoKeyPair> {
  let pair = keyPairs.get(alg);
  if (!pair) {
    pair = (alg === -7
      ? crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])
      : crypto.subtle.generateKey({ name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, true, [
          "sign",
          "verify",
        ])) as Promise<CryptoKeyPair>;
    keyPairs.set(alg, pair);
  }
  return pair;
}

/** The COSE_Key map of a public key (ES256: kty 2, crv 1, x, y; RS256: kty 3, n, e). */
export async function coseKeyMap(alg: Alg, publicKey: CryptoKey): Promise<Map<number, Encodable>> {
  const jwk = (await crypto.subtle.exportKey("jwk", publicKey)) as JsonWebKey;
  if (alg === -7) {
    return new Map<number, Encodable>([[1, 2], [3, -7], [-1, 1], [-2, unb64url(jwk.x!)], [-3, unb64url(jwk.y!)]]);
  }
  return new Map<number, Encodable>([[1, 3], [3, -257], [-1, unb64url(jwk.n!)], [-2, unb64url(jwk.e!)]]);
}

export async function sign(alg: Alg, privateKey: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  if (alg === -7) return rawToDer(new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, data)));
  return new Uint8Array(await crypto.subtle.sign({ name: "RSASSA-PKCS1-v1_5" }, privateKey, data));
}

// --- ceremonies --------------------------------------------------------------------------------

export interface Ceremony {
  challenge: string;
  origin?: string;
  rpId?: string;
  /** clientData.type; defaults to the ceremony's own. */
  type?: string;
  crossOrigin?: boolean;
  /** Authenticator data flags; defaults: UP|UV|AT (registration), UP|UV (authentication). */
  flags?: number;
  signCount?: number;
}

export function clientDataJSON(c: Ceremony, type: string): Uint8Array {
  const data: Record<string, unknown> = { type: c.type ?? type, challenge: c.challenge, origin: c.origin ?? ORIGIN };
  if (c.crossOrigin !== undefined) data.crossOrigin = c.crossOrigin;
  return utf8(JSON.stringify(data));
}

export async function authenticatorData(o: {
  rpId: string;
  flags: number;
  signCount: number;
  attested?: { credentialId: Uint8Array; coseKey: Uint8Array };
  extensions?: Uint8Array;
}): Promise<Uint8Array> {
  const head = bytes(await sha256(utf8(o.rpId)), [o.flags], [(o.signCount >>> 24) & 255, (o.signCount >>> 16) & 255, (o.signCount >>> 8) & 255, o.signCount & 255]);
  const attested = o.attested
    ? bytes(new Uint8Array(16).fill(0xaa), [o.attested.credentialId.length >> 8, o.attested.credentialId.length & 255], o.attested.credentialId, o.attested.coseKey)
    : new Uint8Array();
  return bytes(head, attested, o.extensions ?? []);
}

export class SoftAuthenticator {
  counter = 0;
  private constructor(
    readonly alg: Alg,
    readonly keyPair: CryptoKeyPair,
    readonly credentialId: Uint8Array,
    readonly coseKey: Uint8Array,
  ) {}

  static async create(alg: Alg = -7, options: { counts?: boolean } = {}): Promise<SoftAuthenticator> {
    const keyPair = await keyPairFor(alg);
    const auth = new SoftAuthenticator(alg, keyPair, crypto.getRandomValues(new Uint8Array(32)), cbor(await coseKeyMap(alg, keyPair.publicKey)));
    auth.counts = options.counts ?? true;
    return auth;
  }

  /** Whether the authenticator keeps a signature counter (synced passkeys report 0 forever). */
  counts = true;

  /** A `navigator.credentials.create()` response, as `PublicKeyCredential.toJSON()` gives it. */
  async register(
    c: Ceremony & { fmt?: string; attStmt?: Map<string, Encodable>; coseKey?: Uint8Array; authDataCredentialId?: Uint8Array; transports?: string[]; omitAttested?: boolean },
  ) {
    const authData = await authenticatorData({
      rpId: c.rpId ?? RP_ID,
      flags: c.flags ?? FLAG.UP | FLAG.UV | FLAG.AT,
      signCount: c.signCount ?? 0,
      attested: c.omitAttested ? undefined : { credentialId: c.authDataCredentialId ?? this.credentialId, coseKey: c.coseKey ?? this.coseKey },
    });
    const attestationObject = cbor(new Map<string, Encodable>([["fmt", c.fmt ?? "none"], ["attStmt", c.attStmt ?? new Map()], ["authData", authData]]));
    const id = b64url(this.credentialId);
    return {
      id,
      rawId: id,
      type: "public-key" as const,
      response: { clientDataJSON: b64url(clientDataJSON(c, "webauthn.create")), attestationObject: b64url(attestationObject), transports: c.transports ?? ["internal", "hybrid"] },
      clientExtensionResults: {},
    };
  }

  /** A `navigator.credentials.get()` response; bumps the counter first when the authenticator counts. */
  async authenticate(c: Ceremony & { userHandle?: Uint8Array; signWith?: CryptoKey }) {
    if (this.counts) this.counter++;
    const authData = await authenticatorData({ rpId: c.rpId ?? RP_ID, flags: c.flags ?? FLAG.UP | FLAG.UV, signCount: c.signCount ?? this.counter });
    const client = clientDataJSON(c, "webauthn.get");
    const signature = await sign(this.alg, c.signWith ?? this.keyPair.privateKey, bytes(authData, await sha256(client)));
    const id = b64url(this.credentialId);
    return {
      id,
      rawId: id,
      type: "public-key" as const,
      response: {
        clientDataJSON: b64url(client),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: c.userHandle ? b64url(c.userHandle) : null,
      },
      clientExtensionResults: {},
    };
  }
}

// --- assertions --------------------------------------------------------------------------------


/**
 * The `reason` of the WebAuthnError that `run` throws or rejects with. Fails the test if it
 * succeeds or throws anything else; also checks the message leaks none of `secrets`.
 */
export async function refusal(run: () => unknown, secrets: string[] = []): Promise<string> {
  try {
    await run();
  } catch (e) {
    if (!(e instanceof WebAuthnError)) throw new Error(`expected a WebAuthnError, got ${String(e)}`);
    for (const s of secrets) if (s && e.message.includes(s)) throw new Error(`error message leaks input: ${e.message}`);
    return e.reason;
  }
  throw new Error("expected a refusal, but it was accepted");
}
