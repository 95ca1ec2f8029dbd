import { decodeCborPrefix, isCborMap, type CborMap } from "./cbor";
import { malformed } from "./errors";

/** Authenticator data flags (WebAuthn §6.1). */
export const FLAG_UP = 0x01; // user present
export const FLAG_UV = 0x04; // user verified
export const FLAG_BE = 0x08; // backup eligible
export const FLAG_BS = 0x10; // backed up
export const FLAG_AT = 0x40; // attested credential data included
export const FLAG_ED = 0x80; // extension data included

/** WebAuthn §6.1: credential ids longer than this are refused. */
export const MAX_CREDENTIAL_ID_LENGTH = 1023;

export interface AuthenticatorFlags {
  userPresent: boolean;
  userVerified: boolean;
  backupEligible: boolean;
  backedUp: boolean;
  attestedCredentialData: boolean;
  extensionData: boolean;
}

export interface AttestedCredentialData {
  aaguid: Uint8Array;
  credentialId: Uint8Array;
  /** The COSE_Key exactly as the authenticator encoded it: what a relying party stores. */
  publicKeyBytes: Uint8Array;
  publicKey: CborMap;
}

export interface AuthenticatorData {
  rpIdHash: Uint8Array;
  flags: AuthenticatorFlags;
  signCount: number;
  attestedCredential?: AttestedCredentialData;
  extensions?: CborMap;
}

/**
 * Parses authenticator data (WebAuthn §6.1): rpIdHash (32) ‖ flags (1) ‖ signCount (u32 BE) ‖
 * attested credential data when AT (aaguid 16 ‖ credentialIdLength u16 BE ‖ credentialId ‖
 * COSE_Key) ‖ extensions (a CBOR map) when ED. Anything short, left over, or contradicting the
 * flags is `malformed`; so is "backed up" without "backup eligible" (§6.1.3).
 */
export function parseAuthenticatorData(bytes: Uint8Array): AuthenticatorData {
  if (bytes.length < 37) malformed("authenticator data is too short");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rpIdHash = bytes.slice(0, 32);
  const f = bytes[32]!;
  const flags: AuthenticatorFlags = {
    userPresent: (f & FLAG_UP) !== 0,
    userVerified: (f & FLAG_UV) !== 0,
    backupEligible: (f & FLAG_BE) !== 0,
    backedUp: (f & FLAG_BS) !== 0,
    attestedCredentialData: (f & FLAG_AT) !== 0,
    extensionData: (f & FLAG_ED) !== 0,
  };
  if (flags.backedUp && !flags.backupEligible) malformed("authenticator data says backed up but not backup eligible");
  const signCount = view.getUint32(33);
  let at = 37;
  const out: AuthenticatorData = { rpIdHash, flags, signCount };

  if (flags.attestedCredentialData) {
    if (bytes.length < at + 18) malformed("attested credential data is truncated");
    const aaguid = bytes.slice(at, at + 16);
    const idLength = view.getUint16(at + 16);
    at += 18;
    if (idLength === 0 || idLength > MAX_CREDENTIAL_ID_LENGTH) malformed("credential id length is out of range");
    if (bytes.length < at + idLength) malformed("credential id is truncated");
    const credentialId = bytes.slice(at, at + idLength);
    at += idLength;
    const { value, end } = decodeCborPrefix(bytes, at);
    if (!isCborMap(value)) malformed("credential public key is not a COSE_Key map");
    out.attestedCredential = { aaguid, credentialId, publicKeyBytes: bytes.slice(at, end), publicKey: value };
    at = end;
  }

  if (flags.extensionData) {
    const { value, end } = decodeCborPrefix(bytes, at);
    if (!isCborMap(value)) malformed("authenticator extensions are not a map");
    out.extensions = value;
    at = end;
  }

  if (at !== bytes.length) malformed("authenticator data has trailing bytes");
  return out;
}
