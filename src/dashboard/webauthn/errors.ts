/**
 * Why a WebAuthn ceremony was refused. The reason is stable (callers map it to a message, an audit
 * entry or a metric); the error's message is a fixed sentence naming the check that failed, never
 * the input, a challenge, a key or anything else a client sent or the server holds.
 */
export type WebAuthnReason =
  /** Not the shape WebAuthn defines: bad base64url, JSON, CBOR, lengths, flags or key parameters. */
  | "malformed"
  /** clientData.type is not "webauthn.create" (registration) or "webauthn.get" (authentication). */
  | "type_mismatch"
  | "challenge_mismatch"
  | "origin_mismatch"
  /** clientData.crossOrigin is true: the ceremony ran in a cross-origin iframe. */
  | "cross_origin"
  | "rp_id_mismatch"
  | "user_not_present"
  | "user_not_verified"
  /** The credential id in the authenticator data (or the expected one) differs from rawId. */
  | "credential_id_mismatch"
  /** An attestation statement format other than "none". */
  | "unsupported_format"
  /** A COSE key other than ES256 (P-256) or RS256 (2048 to 4096 bits). */
  | "unsupported_algorithm"
  | "bad_signature"
  /** The signature counter did not grow: possibly a cloned authenticator. */
  | "counter_regressed";

export class WebAuthnError extends Error {
  override readonly name = "WebAuthnError";
  constructor(
    readonly reason: WebAuthnReason,
    message: string,
  ) {
    super(message);
  }
}

/** Throws `malformed` with a fixed message: for shape checks, where the message names the field. */
export function malformed(what: string): never {
  throw new WebAuthnError("malformed", what);
}
