import { parseAuthenticatorData } from "./authenticator-data";
import { constantTimeEqual, fromBase64Url } from "./bytes";
import { decodeCbor, isCborMap } from "./cbor";
import { MAX_ATTESTATION_OBJECT_BYTES, checkAuthenticatorData, checkClientData, credentialShape, type ExpectedCeremony } from "./ceremony";
import { encodeStoredPublicKey, importCoseKey, type CoseAlgorithm } from "./cose";
import { WebAuthnError, malformed } from "./errors";

/** What `navigator.credentials.create()` returns, serialised with `toJSON()` (all binary base64url). */
export interface RegistrationResponseJSON {
  id: string;
  rawId: string;
  type: "public-key";
  response: { clientDataJSON: string; attestationObject: string; transports?: string[] };
}

export interface RegistrationInput extends ExpectedCeremony {
  /** The browser's credential JSON, unvalidated: any shape is checked here. */
  response: unknown;
}

export interface VerifiedRegistration {
  /** base64url: the id the browser will name in `allowCredentials` and send back as rawId. */
  credentialId: string;
  /** base64url COSE_Key bytes: store as is, give back to `verifyAuthentication`. */
  publicKey: string;
  alg: CoseAlgorithm;
  signCount: number;
  userVerified: boolean;
  backupEligible: boolean;
  /** A synced passkey (iCloud Keychain, Google Password Manager, …). */
  backedUp: boolean;
  /** Hints for `allowCredentials`/`excludeCredentials`: well-formed names only, at most 8. */
  transports: string[];
}

const TRANSPORT = /^[a-z][a-z0-9-]{0,31}$/;

function transportsOf(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) malformed("transports is not an array");
  const out: string[] = [];
  for (const t of value) {
    if (typeof t === "string" && TRANSPORT.test(t) && !out.includes(t) && out.length < 8) out.push(t);
  }
  return out;
}

/**
 * Verifies a passkey registration (WebAuthn §7.1) for attestation "none": the client data, the
 * attestation object `{fmt: "none", attStmt: {}, authData}`, the relying party, the flags and the
 * credential, and returns what to store. Any other attestation format is refused
 * (`unsupported_format`): we ask for `attestation: "none"`, so browsers send "none" (they replace
 * an authenticator's statement with it), and nothing we decide depends on an authenticator's make.
 * Throws `WebAuthnError`; nothing is stored by this function.
 */
export async function verifyRegistration(input: RegistrationInput): Promise<VerifiedRegistration> {
  const { credentialId, rawId, inner } = credentialShape(input.response);
  checkClientData(inner.clientDataJSON, "webauthn.create", input);

  const attestation = decodeCbor(fromBase64Url(inner.attestationObject, "attestationObject", MAX_ATTESTATION_OBJECT_BYTES));
  if (!isCborMap(attestation)) malformed("attestationObject is not a map");
  const fmt = attestation.get("fmt");
  const attStmt = attestation.get("attStmt");
  const authDataBytes = attestation.get("authData");
  if (typeof fmt !== "string") malformed("attestationObject has no fmt");
  if (fmt !== "none") throw new WebAuthnError("unsupported_format", "only attestation format none is accepted");
  if (!isCborMap(attStmt) || attStmt.size !== 0) malformed("attestation statement of format none is not empty");
  if (!(authDataBytes instanceof Uint8Array)) malformed("attestationObject has no authData");

  const authData = parseAuthenticatorData(authDataBytes);
  await checkAuthenticatorData(authData, input);
  const attested = authData.attestedCredential;
  if (!attested) malformed("registration carries no attested credential data");
  if (!constantTimeEqual(attested.credentialId, credentialId)) {
    throw new WebAuthnError("credential_id_mismatch", "authenticator data names another credential");
  }
  // Refuses algorithms other than ES256 and RS256 and keys WebCrypto cannot import.
  const { alg } = await importCoseKey(attested.publicKey);

  return {
    credentialId: rawId,
    publicKey: encodeStoredPublicKey(attested.publicKeyBytes),
    alg,
    signCount: authData.signCount,
    userVerified: authData.flags.userVerified,
    backupEligible: authData.flags.backupEligible,
    backedUp: authData.flags.backedUp,
    transports: transportsOf(inner.transports),
  };
}
