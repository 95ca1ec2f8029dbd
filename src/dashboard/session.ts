import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { checkAllowlists, allowlistsOf } from "../allowlists/compile";
import { keyPrincipal } from "../auth/principal";
import { effectiveScopes } from "../auth/scopes";
import { liveSecretHashes } from "../auth/verify-key";
import { keyStatus, loadKeyAuthRecord, type KeyAuthRecord } from "../db/keys";
import { getPasskey, type Passkey } from "../db/passkeys";
import { endSession, insertSession, sessionByTokenHash, type DashboardSession } from "../db/sessions";
import type { User } from "../db/users";
import type { Bindings } from "../env";
import { constantTimeEqual } from "../keys/crypto";
import { now as clockNow } from "../lib/clock";
import { randomBase62, toHex } from "../lib/encoding";
import { isPast, nowIso } from "../lib/time";
import { secretBinding } from "../oauth/access-token";
import { dashboardOrigin } from "./csrf";
import type { DashboardContext, SignedIn } from "./types";

/** A session lives at most 12 hours from sign-in (DESIGN §6), whatever happens meanwhile. */
export const SESSION_TTL_SECONDS = 12 * 60 * 60;

/** ADMIN_TOKEN shorter than this opens nothing (as on the API: 503 `not_configured` there). */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

const SECRET_LENGTH = 43; // base62: ~256 bits from the CSPRNG
const SECRET_SHAPE = /^[0-9A-Za-z]{43}$/;
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * The session cookie. `HttpOnly; SameSite=Strict; Path=/` always; where the dashboard's origin is
 * https (or any host but a local one), `Secure` and the `__Host-` prefix, which a browser accepts
 * only with `Secure`, `Path=/` and no `Domain`: no sibling subdomain can set or shadow it. On
 * http://localhost and http://127.0.0.1 (`npm run dev`) it is `kw_session` without `Secure`,
 * which browsers would otherwise refuse to store over http. The path is `/` because `__Host-`
 * demands it; the cookie still authenticates nothing outside /dashboard, since the API reads
 * credentials only from Authorization, X-API-Key and x-APIKey.
 */
export function sessionCookie(env: Pick<Bindings, "PUBLIC_ORIGIN">, requestUrl: string): { name: string; secure: boolean } {
  const origin = new URL(dashboardOrigin(env, requestUrl));
  const local = origin.protocol === "http:" && LOCAL_HOSTS.has(origin.hostname);
  return local ? { name: "kw_session", secure: false } : { name: "__Host-kw_session", secure: true };
}

async function sha256Hex(text: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** What binds an operator session to the ADMIN_TOKEN that opened it: changing the token ends them all. */
export const operatorBinding = async (adminToken: string) => (await sha256Hex(`keyward-dashboard-operator:v1:${adminToken}`)).slice(0, 32);

/**
 * The credential a sign-in proved: the operator token, a personal access token and the stored
 * secret it matched, or a passkey (src/dashboard/passkeys.ts), which opens a session for its token
 * with the passkey's own binding.
 */
export type Opened =
  | { kind: "operator" }
  | { kind: "key"; keyId: string; secretHash: string }
  | { kind: "passkey"; keyId: string; binding: string; passkeyId: string };

/** Starts a session for what the sign-in proved: a D1 row holding the cookie secret's hash, and the cookie. */
export async function openSession(c: DashboardContext, opened: Opened): Promise<void> {
  const secret = randomBase62(SECRET_LENGTH);
  const at = clockNow();
  const binding =
    opened.kind === "operator"
      ? await operatorBinding(c.env.ADMIN_TOKEN ?? "")
      : opened.kind === "passkey"
        ? opened.binding
        : await secretBinding(opened.secretHash);
  await insertSession(c.env.DB, {
    id: `ses_${randomBase62(16)}`,
    token_hash: await sha256Hex(secret),
    kind: opened.kind === "operator" ? "operator" : "key",
    key_id: opened.kind === "operator" ? null : opened.keyId,
    passkey_id: opened.kind === "passkey" ? opened.passkeyId : null,
    binding,
    created_at: nowIso(at),
    expires_at: nowIso(at + SESSION_TTL_SECONDS * 1000),
    ip: c.req.header("cf-connecting-ip") ?? null,
    user_agent: c.req.header("user-agent")?.slice(0, 256) ?? null,
  });
  const { name, secure } = sessionCookie(c.env, c.req.url);
  setCookie(c, name, secret, { httpOnly: true, secure, sameSite: "Strict", path: "/", maxAge: SESSION_TTL_SECONDS });
}

export function clearSessionCookie(c: DashboardContext): void {
  const { name, secure } = sessionCookie(c.env, c.req.url);
  deleteCookie(c, name, { httpOnly: true, secure, sameSite: "Strict", path: "/" });
}

/** The session the request's cookie names, if it exists at all (ended or expired ones included). */
async function presentedSession(c: DashboardContext): Promise<DashboardSession | null | undefined> {
  const secret = getCookie(c, sessionCookie(c.env, c.req.url).name);
  if (secret === undefined) return undefined;
  if (!SECRET_SHAPE.test(secret)) return null;
  return sessionByTokenHash(c.env.DB, await sha256Hex(secret));
}

/**
 * Who the request's session belongs to, checked against D1 on every request (the dashboard is not
 * the hot path, and must see every change at once). `refused` when a cookie was presented but
 * its session is unknown, ended, expired, or its credential no longer stands.
 */
export async function currentSession(c: DashboardContext): Promise<{ signedIn: SignedIn | null; refused: boolean }> {
  const session = await presentedSession(c);
  if (session === undefined) return { signedIn: null, refused: false };
  const signedIn = session && !session.ended_at && !isPast(session.expires_at) ? await standing(c, session) : null;
  return { signedIn, refused: signedIn === null };
}

async function standing(c: DashboardContext, session: DashboardSession): Promise<SignedIn | null> {
  if (session.kind === "operator") {
    const token = c.env.ADMIN_TOKEN;
    if (!token || token.length < MIN_ADMIN_TOKEN_LENGTH) return null;
    if (!constantTimeEqual(session.binding, await operatorBinding(token))) return null;
    return { kind: "operator", sessionId: session.id, principal: { kind: "operator", actor: "operator" } };
  }
  return keySession(c, session);
}

// The colleague's `users.status` (migration 0004); read defensively, so the check stands either way.
const deactivated = (user: User) => "status" in user && (user as { status?: unknown }).status === "deactivated";

/** A personal access token that stands, as `tokenStanding` found it. */
export interface StandingToken {
  record: KeyAuthRecord;
  user: User;
  principal: Extract<SignedIn, { kind: "key" }>["principal"];
}

/**
 * Whether a personal access token stands for whatever is bound to it by `binding` (a session, a
 * passkey), read from D1 directly: not revoked or expired, its partner active, its user present
 * and not deactivated, the client within its IP and User-Agent lists, and `binding` still one of
 * its live secrets (the current one, or the previous one while a rotation's grace period runs),
 * compared by `secretBinding` as access tokens are. Null when it does not stand.
 */
export async function tokenStanding(c: DashboardContext, keyId: string | null, binding: string): Promise<StandingToken | null> {
  const record = keyId ? await loadKeyAuthRecord(c.env.DB, keyId) : null;
  if (!record || record.key.type !== "personal" || keyStatus(record.key) !== "active") return null;
  if (record.partner.status !== "active") return null;
  const user = record.user;
  if (!user || deactivated(user)) return null;
  let bound = false;
  for (const hash of liveSecretHashes(record, clockNow())) if (constantTimeEqual(binding, await secretBinding(hash))) bound = true;
  if (!bound) return null;
  const facts = { origin: null, ip: c.req.header("cf-connecting-ip") ?? null, userAgent: c.req.header("user-agent") ?? null };
  if (checkAllowlists(allowlistsOf(record), facts) !== null) return null;
  const keyScopes = effectiveScopes(record.key.scopes, user.permissions);
  // The signed-in user is the audit actor (DESIGN §6); the authority stays the token's.
  // Its balance as D1 has it (a flush behind at most): only whether it is limited matters to the
  // authority rules, and a change's admission (admission.ts) replaces it with the live one.
  const principal = { ...keyPrincipal({ auth: record, keyScopes, scopes: keyScopes, credits: record.key.credits_remaining }), actor: user.id };
  return { record, user, principal };
}

/**
 * A passkey stands for its token's standing `token`: not revoked, and the token's and user's own
 * (its binding is checked with the token's, by `tokenStanding`).
 */
export const passkeyStands = (passkey: Passkey, token: StandingToken) =>
  passkey.revoked_at === null && passkey.key_id === token.record.key.id && passkey.user_id === token.user.id && passkey.partner_id === token.record.partner.id;

/**
 * A personal access token's session stands while the token does (`tokenStanding`) for the
 * session's binding; a session opened with a passkey, while that passkey stands too.
 */
async function keySession(c: DashboardContext, session: DashboardSession): Promise<SignedIn | null> {
  const [token, passkey] = await Promise.all([
    tokenStanding(c, session.key_id, session.binding),
    session.passkey_id ? getPasskey(c.env.DB, session.passkey_id) : null,
  ]);
  if (!token) return null;
  if (session.passkey_id && (!passkey || !passkeyStands(passkey, token) || !constantTimeEqual(passkey.binding, session.binding))) return null;
  return { kind: "key", sessionId: session.id, binding: session.binding, passkeyId: session.passkey_id, ...token };
}

/** Ends the session the request's cookie names, server-side: a replay of that cookie is refused from now on. */
export async function endPresentedSession(c: DashboardContext): Promise<void> {
  const session = await presentedSession(c);
  if (session) await endSession(c.env.DB, session.id, nowIso());
}

/** Sign-out: the session ends server-side, and the cookie goes. */
export async function signOut(c: DashboardContext): Promise<void> {
  await endPresentedSession(c);
  clearSessionCookie(c);
}
