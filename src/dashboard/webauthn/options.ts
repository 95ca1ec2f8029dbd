import { fromBase64Url, randomBase64Url, toBase64Url } from "./bytes";
import { SUPPORTED_ALGORITHMS } from "./cose";
import { malformed } from "./errors";

/**
 * Builders for the JSON `navigator.credentials.create()` and `.get()` need, in the shape of
 * `PublicKeyCredentialCreationOptionsJSON` / `PublicKeyCredentialRequestOptionsJSON` (binary
 * fields base64url: pass them to `PublicKeyCredential.parseCreationOptionsFromJSON` or decode
 * them in the page). The server keeps `challenge` (single use, short-lived) to verify against.
 */

export const RP_NAME = "Keyward";
export const TIMEOUT_MS = 60_000;

export interface CredentialDescriptorJSON {
  type: "public-key";
  id: string;
  transports?: string[];
}

export interface CreationOptionsJSON {
  challenge: string;
  rp: { id: string; name: string };
  user: { id: string; name: string; displayName: string };
  pubKeyCredParams: { type: "public-key"; alg: number }[];
  authenticatorSelection: { residentKey: "required"; requireResidentKey: true; userVerification: "preferred" };
  attestation: "none";
  timeout: number;
  excludeCredentials: CredentialDescriptorJSON[];
}

export interface RequestOptionsJSON {
  challenge: string;
  rpId: string;
  allowCredentials: CredentialDescriptorJSON[];
  userVerification: "preferred";
  timeout: number;
}

/** A credential the user already holds, as `verifyRegistration` returned it. */
export interface KnownCredential {
  credentialId: string;
  transports?: string[];
}

const descriptors = (credentials: readonly KnownCredential[] = []): CredentialDescriptorJSON[] =>
  credentials.map((c) => (c.transports?.length ? { type: "public-key", id: c.credentialId, transports: [...c.transports] } : { type: "public-key", id: c.credentialId }));

/** A fresh challenge: 32 bytes from the CSPRNG, base64url. */
export function newChallenge(): string {
  return randomBase64Url(32);
}

/**
 * Options for registering a passkey. `user.id` is the user handle the authenticator stores with
 * the passkey and returns at sign-in: pass stable opaque bytes (e.g. the user's id as UTF-8, at
 * most 64 bytes) or omit it for 32 random bytes. `excludeCredentials` keeps an authenticator that
 * already holds one of the user's passkeys from registering a second.
 */
export function registrationOptions(input: {
  rpId: string;
  user: { id?: Uint8Array | string; name: string; displayName?: string };
  excludeCredentials?: readonly KnownCredential[];
  challenge?: string;
}): CreationOptionsJSON {
  const id = input.user.id;
  const userId = id === undefined ? randomBase64Url(32) : toBase64Url(typeof id === "string" ? new TextEncoder().encode(id) : id);
  const idLength = fromBase64Url(userId, "user id", 64).length;
  if (idLength === 0) malformed("user id is empty");
  return {
    challenge: input.challenge ?? newChallenge(),
    rp: { id: input.rpId, name: RP_NAME },
    user: { id: userId, name: input.user.name, displayName: input.user.displayName ?? input.user.name },
    pubKeyCredParams: SUPPORTED_ALGORITHMS.map((alg) => ({ type: "public-key", alg })),
    authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: "preferred" },
    attestation: "none",
    timeout: TIMEOUT_MS,
    excludeCredentials: descriptors(input.excludeCredentials),
  };
}

/**
 * Options for signing in with a passkey. Without `allowCredentials` (the default) the browser
 * offers every discoverable passkey it holds for `rpId`; the response's credential id then says
 * which one to verify against.
 */
export function authenticationOptions(input: { rpId: string; allowCredentials?: readonly KnownCredential[]; challenge?: string }): RequestOptionsJSON {
  return {
    challenge: input.challenge ?? newChallenge(),
    rpId: input.rpId,
    allowCredentials: descriptors(input.allowCredentials),
    userVerification: "preferred",
    timeout: TIMEOUT_MS,
  };
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * The relying party for an origin (`PUBLIC_ORIGIN`, or the request's): its host is the rpId and
 * the origin itself is what clientData.origin must equal. Null where browsers refuse WebAuthn:
 * IP addresses (`127.0.0.1`, `[::1]`), non-http(s) schemes, and plain http anywhere but
 * localhost (a secure context is required).
 */
export function relyingPartyFor(origin: string): { rpId: string; origin: string } | null {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return null;
  }
  const host = url.hostname;
  if (host === "" || host.startsWith("[") || IPV4.test(host)) return null;
  const local = host === "localhost" || host.endsWith(".localhost");
  if (url.protocol !== "https:" && !(url.protocol === "http:" && local)) return null;
  return { rpId: host, origin: url.origin };
}
