/**
 * Passkeys (WebAuthn) verified with WebCrypto alone: ES256 and RS256 credentials, attestation
 * "none". See registration.ts and authentication.ts for the checks, options.ts for the browser's
 * options. Every refusal is a `WebAuthnError` with a stable `reason`.
 */
export { WebAuthnError, type WebAuthnReason } from "./errors";
export { verifyRegistration, type RegistrationInput, type RegistrationResponseJSON, type VerifiedRegistration } from "./registration";
export {
  verifyAuthentication,
  type AuthenticationInput,
  type AuthenticationResponseJSON,
  type StoredCredential,
  type VerifiedAuthentication,
} from "./authentication";
export { credentialIdOf, type ExpectedCeremony } from "./ceremony";
export {
  authenticationOptions,
  newChallenge,
  registrationOptions,
  relyingPartyFor,
  type CreationOptionsJSON,
  type CredentialDescriptorJSON,
  type KnownCredential,
  type RequestOptionsJSON,
} from "./options";
export { COSE_ALG_ES256, COSE_ALG_RS256, importStoredPublicKey, type CoseAlgorithm, type VerificationKey } from "./cose";
export { fromBase64Url, toBase64Url } from "./bytes";
