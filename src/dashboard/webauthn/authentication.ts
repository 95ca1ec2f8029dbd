import { parseAuthenticatorData } from "./authenticator-data";
import { concatBytes, fromBase64Url, sha256, toBase64Url } from "./bytes";
import { MAX_AUTHENTICATOR_DATA_BYTES, MAX_SIGNATURE_BYTES, checkAuthenticatorData, checkClientData, credentialShape, type ExpectedCeremony } from "./ceremony";
import { COSE_ALG_ES256, importStoredPublicKey } from "./cose";
import { derToRawEcdsa } from "./der";
import { WebAuthnError } from "./errors";

/** What `navigator.credentials.get()` returns, serialised with `toJSON()` (all binary base64url). */
export interface AuthenticationResponseJSON {
  id: string;
  rawId: string;
  type: "public-key";
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string | null };
}

export interface StoredCredential {
  /** base64url credential id, as `verifyRegistration` returned it: when given, rawId must equal it. */
  id?: string;
  /** base64url COSE_Key bytes, as `verifyRegistration` returned them. */
  publicKey: string;
  /** The last counter seen (0 for authenticators without one). */
  signCount: number;
}

export interface AuthenticationInput extends ExpectedCeremony {
  /** The browser's credential JSON, unvalidated: any shape is checked here. */
  response: unknown;
  credential: StoredCredential;
}

export interface VerifiedAuthentication {
  /** Store this as the credential's counter. */
  newSignCount: number;
  /** base64url user handle the authenticator returned (discoverable credentials), or null. */
  userHandle: string | null;
  userVerified: boolean;
  backedUp: boolean;
}

/**
 * Verifies a passkey sign-in (WebAuthn §7.2) against a stored credential: client data (type
 * "webauthn.get", challenge, origin, not cross-origin), rpIdHash, user presence (and verification
 * if required), the signature over `authenticatorData ‖ SHA-256(clientDataJSON)` (ES256: strict
 * DER converted to r ‖ s; RS256: RSASSA-PKCS1-v1_5 with SHA-256), then the signature counter.
 *
 * Counter (§6.1.1, §7.2 step 21): when either the stored or the new counter is non-zero, the new
 * one must be strictly greater, otherwise `counter_regressed` (a cloned authenticator, or a
 * replayed assertion). Both zero is an authenticator without a counter (synced passkeys): fine.
 */
export async function verifyAuthentication(input: AuthenticationInput): Promise<VerifiedAuthentication> {
  const { rawId, inner } = credentialShape(input.response);
  if (input.credential.id !== undefined && input.credential.id !== rawId) {
    throw new WebAuthnError("credential_id_mismatch", "assertion is for another credential");
  }
  const userHandle = inner.userHandle === undefined || inner.userHandle === null || inner.userHandle === ""
    ? null
    : toBase64Url(fromBase64Url(inner.userHandle, "userHandle", 64));
  const clientDataJSON = checkClientData(inner.clientDataJSON, "webauthn.get", input);
  const authDataBytes = fromBase64Url(inner.authenticatorData, "authenticatorData", MAX_AUTHENTICATOR_DATA_BYTES);
  const authData = parseAuthenticatorData(authDataBytes);
  await checkAuthenticatorData(authData, input);

  const { alg, key } = await importStoredPublicKey(input.credential.publicKey);
  const signature = fromBase64Url(inner.signature, "signature", MAX_SIGNATURE_BYTES);
  const signed = concatBytes(authDataBytes, await sha256(clientDataJSON));
  const raw = alg === COSE_ALG_ES256 ? derToRawEcdsa(signature) : signature;
  const algorithm = alg === COSE_ALG_ES256 ? { name: "ECDSA", hash: "SHA-256" } : { name: "RSASSA-PKCS1-v1_5" };
  let valid = false;
  try {
    valid = await crypto.subtle.verify(algorithm, key, raw, signed);
  } catch {
    // An RSA signature of the wrong length may throw rather than fail: the same refusal.
  }
  if (!valid) throw new WebAuthnError("bad_signature", "signature does not verify");

  const stored = input.credential.signCount;
  const next = authData.signCount;
  if ((stored !== 0 || next !== 0) && next <= stored) {
    throw new WebAuthnError("counter_regressed", "signature counter did not increase");
  }
  return { newSignCount: next, userHandle, userVerified: authData.flags.userVerified, backedUp: authData.flags.backedUp };
}
