import { failureThrottle } from "../auth/failure-throttle";
import type { AuditContext } from "../db/audit";
import { isUniqueViolation } from "../db/errors";
import { consumeChallenge, CHALLENGE_TTL_MS, insertChallenge, passkeyByCredentialId, passkeysOf, passkeyWrites, recordPasskeyUse, type Passkey } from "../db/passkeys";
import type { ChallengePurpose } from "../db/tables";
import { commitMutation } from "../events/commit";
import { now as clockNow } from "../lib/clock";
import { randomBase62 } from "../lib/encoding";
import { nowIso } from "../lib/time";
import { fullName } from "../schemas/user";
import { dashboardOrigin } from "./csrf";
import { passkeyStands, tokenStanding, type Opened } from "./session";
import type { DashboardContext, SignedIn } from "./types";
import {
  authenticationOptions,
  credentialIdOf,
  registrationOptions,
  relyingPartyFor,
  toBase64Url,
  verifyAuthentication,
  verifyRegistration,
  WebAuthnError,
  type CreationOptionsJSON,
  type RequestOptionsJSON,
} from "./webauthn";

/**
 * Passkeys (DESIGN §6): a user signed in with a personal access token registers a passkey, which
 * is bound to that token and to the token's secret the session was bound to (`binding`), carries
 * the token's authority and stands only while both do (`tokenStanding`, the same check every
 * request of a token's session meets). A passkey sign-in opens a session of kind 'key' for the
 * token, with the passkey's binding and its id, and every later request of that session re-checks
 * the passkey too. The operator has none. Verification is our own WebCrypto code (./webauthn/).
 *
 * The challenge's id travels in the JSON the page posts back, not in a cookie: the challenge
 * itself is what the authenticator signs, so what the id must prove is only that the server issued
 * it, recently, and that it was not used before (the guarded UPDATE in src/db/passkeys.ts). A
 * registration challenge is bound to the session that asked for it (`session_id`); a sign-in
 * challenge has nobody to be bound to, and a cookie would add nothing an attacker could not get by
 * asking for options himself. Without a cookie, two tabs never overwrite each other's ceremony.
 *
 * User verification is `preferred`, not required: the passkey stands in for a bearer token that
 * has no second factor either, user presence plus the private key that never leaves the
 * authenticator is already stronger than that (and phishing-resistant), and requiring it would
 * shut out security keys without a PIN.
 */

/** A ceremony's refusal, for the page's script: an HTTP status and one sentence for the person. */
export class PasskeyProblem extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 429,
    readonly error: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(error);
  }
}

/** The one answer to every refused passkey sign-in: which check failed is never said. */
export const PASSKEY_NOT_ACCEPTED = "That passkey was not accepted. Sign in with your token, then add a passkey again if you need one.";

export const NEEDS_A_DOMAIN =
  "Passkeys need the dashboard at a domain name over https, or at http://localhost: browsers refuse them at an IP address such as 127.0.0.1.";

const EXPIRED = "This passkey request expired or was already used. Try again.";

/** The relying party the dashboard is (PUBLIC_ORIGIN, else the request's origin); null where browsers refuse WebAuthn. */
export const relyingParty = (c: DashboardContext) => relyingPartyFor(dashboardOrigin(c.env, c.req.url));

/** Where the same dashboard is reachable with passkeys, for a page opened at 127.0.0.1 or [::1]: its localhost address. */
export function localhostAlternative(c: DashboardContext): string | null {
  const url = new URL(dashboardOrigin(c.env, c.req.url));
  if (url.protocol !== "http:" || !["127.0.0.1", "[::1]"].includes(url.hostname)) return null;
  url.hostname = "localhost";
  return `${url.origin}/dashboard`;
}

/** Its token's signed-in user; the operator has no passkeys. */
function tokenSession(signedIn: SignedIn | null): Extract<SignedIn, { kind: "key" }> {
  if (!signedIn) throw new PasskeyProblem(401, "Your session has ended. Reload the page and sign in again.");
  if (signedIn.kind !== "key") throw new PasskeyProblem(403, "The operator signs in with the operator token: passkeys belong to personal access tokens.");
  return signedIn;
}

function rpOf(c: DashboardContext) {
  const rp = relyingParty(c);
  if (!rp) throw new PasskeyProblem(400, NEEDS_A_DOMAIN);
  return rp;
}

async function newChallengeRow(c: DashboardContext, purpose: ChallengePurpose, sessionId: string | null, challenge: string): Promise<string> {
  const at = clockNow();
  const id = `wac_${randomBase62(22)}`;
  await insertChallenge(c.env.DB, { id, challenge, purpose, session_id: sessionId, created_at: nowIso(at), expires_at: nowIso(at + CHALLENGE_TTL_MS) });
  return id;
}

/** The user handle stored with a passkey: its token's id, so one authenticator keeps one passkey per token (a new one replaces the old). */
const userHandleOf = (keyId: string) => new TextEncoder().encode(keyId);

/** A passkey's state as its list shows it: revoked, ended with its token's secret (rotation, revocation, expiry), or active. */
export function passkeyStatus(passkey: Passkey, live: ReadonlySet<string>): "active" | "revoked" | "expired" {
  if (passkey.revoked_at) return "revoked";
  return live.has(passkey.binding) ? "active" : "expired";
}

/** The signed-in user's passkeys for the token of this session, newest first. */
export function passkeysOfSession(c: DashboardContext, signedIn: Extract<SignedIn, { kind: "key" }>): Promise<Passkey[]> {
  return passkeysOf(c.env.DB, signedIn.record.key.id, signedIn.user.id);
}

/** `POST /dashboard/passkeys/options`: creation options for a new passkey of this session's token and user. */
export async function registrationStart(c: DashboardContext): Promise<{ challengeId: string; options: CreationOptionsJSON }> {
  const signedIn = tokenSession(c.get("signedIn"));
  const rp = rpOf(c);
  const { user, record } = signedIn;
  const held = (await passkeysOfSession(c, signedIn)).filter((p) => !p.revoked_at);
  const options = registrationOptions({
    rpId: rp.rpId,
    user: { id: userHandleOf(record.key.id), name: `${user.email} (${record.key.name})`, displayName: `${fullName(user)} — ${record.partner.name}` },
    excludeCredentials: held.map((p) => ({ credentialId: p.credential_id, transports: p.transports })),
  });
  const challengeId = await newChallengeRow(c, "register", signedIn.sessionId, options.challenge);
  return { challengeId, options };
}

const NAME_MAX = 64;

/** A passkey's name: what the person typed, trimmed, 1 to 64 characters, no control characters. */
function passkeyName(value: unknown): string {
  const name = typeof value === "string" ? value.trim() : "";
  if (name.length === 0 || name.length > NAME_MAX || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new PasskeyProblem(400, `Give the passkey a name of 1 to ${NAME_MAX} characters, such as the device that holds it.`);
  }
  return name;
}

/** What a registration refusal means to the person adding the passkey (signed in: the reason may be named). */
function registrationMessage(err: WebAuthnError): string {
  switch (err.reason) {
    case "unsupported_algorithm":
      return "This authenticator offers a key type Keyward does not accept (it needs ES256 or RS256). Try another device or security key.";
    case "origin_mismatch":
    case "rp_id_mismatch":
    case "cross_origin":
      return "The passkey was made for another site. Add it from this dashboard's own page.";
    case "challenge_mismatch":
      return EXPIRED;
    case "unsupported_format":
      return "Your browser sent an attestation Keyward does not read (it asks for none). Try another browser or device.";
    default:
      return "The browser's answer could not be verified. Try again, or use another device.";
  }
}

/** The auditing context of a change the signed-in user makes: the user is the actor (DESIGN §6). */
function auditOf(c: DashboardContext, signedIn: Extract<SignedIn, { kind: "key" }>): AuditContext {
  return { actor: signedIn.user.id, actorName: fullName(signedIn.user), requestId: c.get("requestId"), at: nowIso() };
}

const objectOf = (body: unknown): Record<string, unknown> =>
  typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};

/**
 * `POST /dashboard/passkeys`: verifies the browser's new credential against the challenge this
 * session was issued (consumed whatever the outcome), then stores the passkey bound to the
 * session's token and binding, with its `passkey.registered` audit event, in one batch.
 */
export async function registrationFinish(c: DashboardContext, body: unknown): Promise<Passkey> {
  const signedIn = tokenSession(c.get("signedIn"));
  const rp = rpOf(c);
  const input = objectOf(body);
  const name = passkeyName(input.name);
  const challenge = typeof input.challengeId === "string" ? await consumeChallenge(c.env.DB, input.challengeId, "register", signedIn.sessionId, nowIso()) : null;
  if (!challenge) throw new PasskeyProblem(400, EXPIRED);
  let verified;
  try {
    verified = await verifyRegistration({ response: input.credential, expectedChallenge: challenge.challenge, expectedOrigin: rp.origin, expectedRpId: rp.rpId });
  } catch (err) {
    if (err instanceof WebAuthnError) throw new PasskeyProblem(400, registrationMessage(err));
    throw err;
  }
  if (await passkeyByCredentialId(c.env.DB, verified.credentialId)) throw new PasskeyProblem(409, "This passkey is already registered.");
  const { record, user } = signedIn;
  const registration = passkeyWrites.register(c.env.DB, auditOf(c, signedIn), {
    id: `pk_${randomBase62(16)}`,
    credential_id: verified.credentialId,
    key_id: record.key.id,
    partner_id: record.partner.id,
    user_id: user.id,
    binding: signedIn.binding,
    public_key: verified.publicKey,
    alg: verified.alg,
    sign_count: verified.signCount,
    transports: verified.transports,
    name,
  });
  try {
    return await commitMutation(c.env, registration);
  } catch (err) {
    // The same credential registered by a concurrent request: UNIQUE (credential_id) decided.
    if (isUniqueViolation(err)) throw new PasskeyProblem(409, "This passkey is already registered.");
    throw err;
  }
}

/** Revokes one of the signed-in user's passkeys of this token (and ends the sessions it opened); null when it was revoked already. */
export async function revokePasskey(c: DashboardContext, passkey: Passkey): Promise<Passkey | null> {
  const signedIn = tokenSession(c.get("signedIn"));
  return commitMutation(c.env, passkeyWrites.revoke(c.env.DB, auditOf(c, signedIn), passkey));
}

/**
 * Failures of passkey sign-in meet the failed-authentication throttle as wrong tokens do
 * (sign-in.ts): past the limit, 429; below it, one generic 401 whatever failed.
 */
function refused(c: DashboardContext, reason: string): PasskeyProblem {
  console.log(JSON.stringify({ level: "info", msg: "passkey sign-in refused", reason, request_id: c.get("requestId") }));
  const ip = c.req.header("cf-connecting-ip") ?? null;
  if (!ip) return new PasskeyProblem(401, PASSKEY_NOT_ACCEPTED);
  const throttle = failureThrottle(c.env);
  const wait = throttle.retryAfter(ip);
  if (wait > 0) {
    return new PasskeyProblem(429, `Too many failed sign-ins from your network. Wait ${wait} seconds, then try again.`, { "retry-after": String(wait) });
  }
  throttle.recordFailure(ip);
  return new PasskeyProblem(401, PASSKEY_NOT_ACCEPTED);
}

/** `POST /dashboard/sign-in/passkey/options`: request options for any discoverable passkey of this site. */
export async function signInStart(c: DashboardContext): Promise<{ challengeId: string; options: RequestOptionsJSON }> {
  const rp = rpOf(c);
  // Not throttled: like a valid token, a valid passkey is always let in, even from an address
  // whose failures are throttled (a shared NAT must not lock its neighbours out).
  const options = authenticationOptions({ rpId: rp.rpId });
  return { challengeId: await newChallengeRow(c, "sign_in", null, options.challenge), options };
}

/**
 * `POST /dashboard/sign-in/passkey`: the challenge (consumed first), the passkey the assertion
 * names, its token's standing for the passkey's binding, the signature and the counter; then the
 * new counter is saved. Any refusal is the same 401 (counted by the throttle).
 */
export async function decidePasskeySignIn(c: DashboardContext, body: unknown): Promise<Extract<Opened, { kind: "passkey" }>> {
  const rp = rpOf(c);
  const input = objectOf(body);
  const challenge = typeof input.challengeId === "string" ? await consumeChallenge(c.env.DB, input.challengeId, "sign_in", null, nowIso()) : null;
  if (!challenge) throw refused(c, "challenge");
  const credentialId = credentialIdOf(input.credential);
  const passkey = credentialId ? await passkeyByCredentialId(c.env.DB, credentialId) : null;
  if (!passkey) throw refused(c, "unknown_passkey");
  const token = await tokenStanding(c, passkey.key_id, passkey.binding);
  if (!token || !passkeyStands(passkey, token)) throw refused(c, "passkey_or_token_does_not_stand");
  let verified;
  try {
    verified = await verifyAuthentication({
      response: input.credential,
      expectedChallenge: challenge.challenge,
      expectedOrigin: rp.origin,
      expectedRpId: rp.rpId,
      credential: { id: passkey.credential_id, publicKey: passkey.public_key, signCount: passkey.sign_count },
    });
  } catch (err) {
    if (err instanceof WebAuthnError) throw refused(c, err.reason);
    throw err;
  }
  // The handle we stored is the token's id; an authenticator naming another is not this passkey's.
  if (verified.userHandle !== null && verified.userHandle !== toBase64Url(userHandleOf(passkey.key_id))) throw refused(c, "user_handle");
  if (!(await recordPasskeyUse(c.env.DB, passkey.id, verified.newSignCount, nowIso()))) throw refused(c, "counter_or_revoked");
  return { kind: "passkey", keyId: passkey.key_id, binding: passkey.binding, passkeyId: passkey.id };
}
