import type { AuthenticatorData } from "./authenticator-data";
import { constantTimeEqual, fromBase64Url, sha256, toBase64Url } from "./bytes";
import { WebAuthnError, malformed } from "./errors";

/** Checks shared by registration and authentication (WebAuthn §7.1 and §7.2). */

/** Upper bounds on what a browser sends; real values are a few hundred bytes. */
export const MAX_CLIENT_DATA_BYTES = 4096;
export const MAX_ATTESTATION_OBJECT_BYTES = 16_384;
export const MAX_AUTHENTICATOR_DATA_BYTES = 4096;
export const MAX_SIGNATURE_BYTES = 1024;
export const MAX_CREDENTIAL_ID_BYTES = 1023;

export interface ExpectedCeremony {
  /** The challenge the server issued: base64url, as the options builders return it. */
  expectedChallenge: string;
  /** The page's origin exactly, e.g. "https://keyward.example" or "http://localhost:8787". */
  expectedOrigin: string;
  /** The relying party id: the origin's host, e.g. "keyward.example" or "localhost". */
  expectedRpId: string;
  /** Demand the UV flag (biometrics or PIN), not just presence. */
  requireUserVerification?: boolean;
}

export type JsonObject = { [key: string]: unknown };

export function objectAt(value: unknown, what: string): JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) malformed(`${what} is not an object`);
  return value as JsonObject;
}

/**
 * The outer PublicKeyCredential JSON: `type` is "public-key", `id` and `rawId` are the same
 * base64url credential id. Returns the decoded id and the inner `response` object.
 */
export function credentialShape(value: unknown): { credentialId: Uint8Array; rawId: string; inner: JsonObject } {
  const outer = objectAt(value, "credential");
  if (outer.type !== "public-key") malformed("credential type is not public-key");
  const credentialId = fromBase64Url(outer.rawId, "rawId", MAX_CREDENTIAL_ID_BYTES);
  if (credentialId.length === 0) malformed("rawId is empty");
  if (outer.id !== outer.rawId) throw new WebAuthnError("credential_id_mismatch", "credential id and rawId differ");
  return { credentialId, rawId: outer.rawId as string, inner: objectAt(outer.response, "credential response") };
}

/**
 * Verifies clientDataJSON (§7.1 steps 5 to 12): UTF-8 JSON whose `type` is the ceremony's, whose
 * `challenge` is the expected one (compared as bytes, in constant time), whose `origin` is exactly
 * the expected origin, and which was not produced in a cross-origin iframe. Returns the raw bytes,
 * whose hash the authenticator signed.
 */
export function checkClientData(
  encoded: unknown,
  type: "webauthn.create" | "webauthn.get",
  expected: ExpectedCeremony,
): Uint8Array<ArrayBuffer> {
  const bytes = fromBase64Url(encoded, "clientDataJSON", MAX_CLIENT_DATA_BYTES);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes));
  } catch {
    malformed("clientDataJSON is not UTF-8 JSON");
  }
  const clientData = objectAt(parsed, "clientDataJSON");
  if (typeof clientData.type !== "string") malformed("clientDataJSON has no type");
  if (clientData.type !== type) throw new WebAuthnError("type_mismatch", `clientDataJSON type is not ${type}`);

  const expectedChallenge = fromBase64Url(expected.expectedChallenge, "expected challenge", 1024);
  if (expectedChallenge.length < 16) malformed("expected challenge is shorter than 16 bytes");
  if (typeof clientData.challenge !== "string") malformed("clientDataJSON has no challenge");
  let challenge: Uint8Array;
  try {
    challenge = fromBase64Url(clientData.challenge, "challenge", 1024);
  } catch {
    throw new WebAuthnError("challenge_mismatch", "challenge does not match the one issued");
  }
  if (!constantTimeEqual(challenge, expectedChallenge)) {
    throw new WebAuthnError("challenge_mismatch", "challenge does not match the one issued");
  }

  if (typeof clientData.origin !== "string") malformed("clientDataJSON has no origin");
  if (clientData.origin !== expected.expectedOrigin) throw new WebAuthnError("origin_mismatch", "origin is not the expected origin");
  if (clientData.crossOrigin !== undefined && typeof clientData.crossOrigin !== "boolean") malformed("crossOrigin is not a boolean");
  if (clientData.crossOrigin === true) throw new WebAuthnError("cross_origin", "ceremony ran in a cross-origin frame");
  return bytes;
}

/**
 * Verifies the relying-party part of authenticator data (§7.1 steps 13 to 15, §7.2 steps 15 to
 * 17): rpIdHash is SHA-256 of the expected rpId, the user was present, and verified if required.
 */
export async function checkAuthenticatorData(data: AuthenticatorData, expected: ExpectedCeremony): Promise<void> {
  if (typeof expected.expectedRpId !== "string" || expected.expectedRpId === "") malformed("expected rpId is empty");
  const rpIdHash = await sha256(new TextEncoder().encode(expected.expectedRpId));
  if (!constantTimeEqual(data.rpIdHash, rpIdHash)) throw new WebAuthnError("rp_id_mismatch", "credential is for another relying party");
  if (!data.flags.userPresent) throw new WebAuthnError("user_not_present", "user presence flag is not set");
  if (expected.requireUserVerification && !data.flags.userVerified) {
    throw new WebAuthnError("user_not_verified", "user verification was required but not performed");
  }
}

/**
 * The credential id a response names (base64url), to look the stored credential up before
 * verifying; null when the response is not even shaped like a credential.
 */
export function credentialIdOf(response: unknown): string | null {
  try {
    return toBase64Url(credentialShape(response).credentialId);
  } catch {
    return null;
  }
}
