import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { NEEDS_A_DOMAIN, PASSKEY_NOT_ACCEPTED } from "../../src/dashboard/passkeys";
import { manualClock } from "../clock";
import { b64url, FLAG, ORIGIN as AUTHENTICATOR_ORIGIN, randomChallenge, SoftAuthenticator, utf8 } from "./webauthn/authenticator";
import { ADMIN, call, env, isSignInPage, page, partnerUser, sessionCookieOf, signIn } from "./helpers";

// DESIGN §6 (contract): passkeys. A user signed in with a personal access token registers a
// passkey (WebAuthn), bound to that token; it signs in with the token's authority and dies with
// the token; passkeys are listed, revocable and audited; the operator has none. The browser's
// side is the software authenticator of test/dashboard/webauthn/authenticator.ts, producing real
// ES256 registrations and assertions for the origin the requests go to.

/** The dashboard's origin for these tests: localhost (WebAuthn refuses IP origins and plain http elsewhere). */
const BASE = "http://localhost:8787";
expect(AUTHENTICATOR_ORIGIN).toBe(BASE);

let ipCounter = 0;
/** A fresh client address per test, so the failed-sign-in throttle of one test never meets another's. */
const freshIp = () => `198.51.100.${(ipCounter++ % 250) + 1}`;

interface JsonReply {
  status: number;
  body: any;
  cookies: string[];
  headers: Headers;
}

interface PostOptions {
  cookie?: string | null;
  /** The Origin header: the dashboard's own unless given. */
  origin?: string;
  ip?: string;
  /** A raw body instead of JSON. */
  raw?: string;
  /** Changed bindings: served by a fresh app with them. */
  env?: Record<string, unknown>;
  base?: string;
}

/** A JSON POST to the dashboard, as passkeys.js makes it. */
async function post(path: string, body: unknown, options: PostOptions = {}): Promise<JsonReply> {
  const base = options.base ?? BASE;
  const headers: Record<string, string> = {
    origin: options.origin ?? base,
    "content-type": "application/json",
    "cf-connecting-ip": options.ip ?? "203.0.113.7",
    "user-agent": "Mozilla/5.0 (test)",
  };
  if (options.cookie) headers.cookie = options.cookie;
  const request = new Request(`${base}${path}`, { method: "POST", headers, body: options.raw ?? JSON.stringify(body), redirect: "manual" });
  const res = options.env ? await createApp().fetch(request, { ...env, ...options.env }) : await exports.default.fetch(request);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { html: text };
  }
  return { status: res.status, body: parsed, cookies: res.headers.getSetCookie(), headers: res.headers };
}

/** A signed-in page (not the sign-in page) for this cookie at localhost. */
async function signedIn(cookie: string, path = "/dashboard", ip?: string) {
  const res = await page(path, { base: BASE, cookie, headers: ip ? { "cf-connecting-ip": ip } : {} });
  return res.status === 200 && !isSignInPage(res.html);
}

/** The next request with `cookie` gets the sign-in page saying the session ended. */
async function expectEnded(cookie: string) {
  const res = await page("/dashboard", { base: BASE, cookie });
  expect(isSignInPage(res.html), res.html.slice(0, 300)).toBe(true);
  expect(res.html).toContain("Your session has ended");
}

/** A partner user signed in with its token at localhost, and an authenticator of its own. */
async function tokenUser(options: Parameters<typeof partnerUser>[0] = {}) {
  const who = await partnerUser(options);
  const cookie = await signIn(who.pat, { base: BASE });
  return { ...who, cookie, authenticator: await SoftAuthenticator.create() };
}

/** Registers the authenticator's passkey for the session `cookie`; returns the server's answer. */
async function register(cookie: string, authenticator: SoftAuthenticator, name = "Work laptop", tweak: Parameters<SoftAuthenticator["register"]>[0] | object = {}) {
  const issued = await post("/dashboard/passkeys/options", {}, { cookie });
  expect(issued.status, JSON.stringify(issued.body)).toBe(200);
  const credential = await authenticator.register({ challenge: issued.body.options.challenge, ...tweak });
  return { issued, reply: await post("/dashboard/passkeys", { challengeId: issued.body.challengeId, name, credential }, { cookie }) };
}

async function registered(cookie: string, authenticator: SoftAuthenticator, name = "Work laptop") {
  const { reply } = await register(cookie, authenticator, name);
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  expect(reply.body).toEqual({ ok: true });
  const row = await env.DB.prepare("SELECT * FROM passkeys WHERE credential_id = ?1").bind(b64url(authenticator.credentialId)).first<Record<string, any>>();
  expect(row).not.toBeNull();
  return row!;
}

/** Signs in with the authenticator's passkey (a fresh challenge); returns the server's answer. */
async function passkeySignIn(authenticator: SoftAuthenticator, options: { ip?: string; tweak?: Record<string, unknown>; next?: string; cookie?: string } = {}) {
  const issued = await post("/dashboard/sign-in/passkey/options", {}, { ip: options.ip });
  expect(issued.status, JSON.stringify(issued.body)).toBe(200);
  const credential = await authenticator.authenticate({ challenge: issued.body.options.challenge, ...options.tweak });
  return post("/dashboard/sign-in/passkey", { challengeId: issued.body.challengeId, credential, next: options.next }, { ip: options.ip, cookie: options.cookie });
}

/** A passkey sign-in that works: its session cookie. */
async function passkeyCookie(authenticator: SoftAuthenticator, ip?: string) {
  const res = await passkeySignIn(authenticator, { ip });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body).toEqual({ ok: true, location: "/dashboard" });
  return sessionCookieOf({ status: res.status, cookies: res.cookies, headers: res.headers, html: "", location: null });
}

/** The one refusal every failed passkey sign-in gets. */
function expectRefused(res: JsonReply) {
  expect(res.status, JSON.stringify(res.body)).toBe(401);
  expect(res.body).toEqual({ error: PASSKEY_NOT_ACCEPTED });
  expect(res.cookies.filter((c) => /kw_session=[^;]/.test(c))).toEqual([]);
}

const auditOf = async (partnerId: string) => (await call(`/v1/partners/${partnerId}/audit-events`)).body.data as { action: string; actor: string; target_id: string; partner_id: string }[];

describe("registering a passkey and signing in with it", () => {
  it("registers a passkey bound to the token, audited with the user as actor, and signs in with the token's authority", async () => {
    const { partner, user, patId, cookie, authenticator } = await tokenUser();
    const empty = await page("/dashboard/passkeys", { base: BASE, cookie });
    expect(empty.status).toBe(200);
    expect(empty.html).toContain("No passkeys yet.");
    expect(empty.html).toContain('href="/dashboard/passkeys" aria-current="page"');
    expect(empty.html).toContain('<script src="/dashboard/static/passkeys.js" defer="">');

    const { issued, reply } = await register(cookie, authenticator, "  Work laptop  ");
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    const options = issued.body.options;
    expect(options.rp).toEqual({ id: "localhost", name: "Keyward" });
    expect(options.user.id).toBe(b64url(utf8(patId)));
    expect(options.user.name).toContain(user.email);
    expect(options.authenticatorSelection).toEqual({ residentKey: "required", requireResidentKey: true, userVerification: "preferred" });
    expect(options.attestation).toBe("none");
    expect(options.excludeCredentials).toEqual([]);
    expect(issued.body.challengeId).toMatch(/^wac_/);

    const row = (await env.DB.prepare("SELECT * FROM passkeys WHERE key_id = ?1").bind(patId).first<Record<string, any>>())!;
    expect(row).toMatchObject({ name: "Work laptop", user_id: user.id, partner_id: partner.id, alg: -7, sign_count: 0, revoked_at: null, last_used_at: null });
    expect(row.id).toMatch(/^pk_/);
    expect(JSON.parse(row.transports)).toEqual(["internal", "hybrid"]);
    // Bound to the secret the session was bound to.
    const session = await env.DB.prepare("SELECT binding FROM dashboard_sessions WHERE key_id = ?1 AND passkey_id IS NULL").bind(patId).first<{ binding: string }>();
    expect(row.binding).toBe(session!.binding);

    const [registeredEvent] = await auditOf(partner.id);
    expect(registeredEvent).toMatchObject({ action: "passkey.registered", actor: user.id, target_id: row.id, partner_id: partner.id });
    const auditPage = await page("/dashboard/audit", { base: BASE, cookie });
    expect(auditPage.html).toContain("Passkey added");

    const listed = await page("/dashboard/passkeys", { base: BASE, cookie });
    expect(listed.html).toContain("Work laptop");
    expect(listed.html).toContain('class="badge badge-active"');
    expect(listed.html).toContain(`href="/dashboard/passkeys/${row.id}/revoke"`);

    // A second registration excludes the passkey this authenticator already holds.
    const again = await post("/dashboard/passkeys/options", {}, { cookie });
    expect(again.body.options.excludeCredentials).toEqual([{ type: "public-key", id: row.credential_id, transports: ["internal", "hybrid"] }]);

    // Signing in with it: a session of the token, naming the passkey; the counter saved.
    const res = await passkeySignIn(authenticator);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ ok: true, location: "/dashboard" });
    const line = res.cookies.find((c) => c.startsWith("kw_session="))!;
    expect(line).toMatch(/HttpOnly/i);
    expect(line).toMatch(/SameSite=Strict/i);
    const passkeySession = sessionCookieOf({ status: 200, cookies: res.cookies, headers: res.headers, html: "", location: null });
    const portal = await page("/dashboard", { base: BASE, cookie: passkeySession });
    expect(portal.status).toBe(200);
    expect(isSignInPage(portal.html)).toBe(false);
    expect(portal.html).toContain(partner.name);
    const sessionRow = await env.DB.prepare("SELECT * FROM dashboard_sessions WHERE passkey_id = ?1").bind(row.id).first<Record<string, any>>();
    expect(sessionRow).toMatchObject({ kind: "key", key_id: patId, binding: row.binding, ended_at: null });
    const used = (await env.DB.prepare("SELECT sign_count, last_used_at FROM passkeys WHERE id = ?1").bind(row.id).first<Record<string, any>>())!;
    expect(used.sign_count).toBe(1);
    expect(used.last_used_at).not.toBeNull();

    // Acting in the passkey's session: the user is the audit actor, with the token's authority.
    const created = await page("/dashboard/keys", { base: BASE, cookie: passkeySession, form: { name: "Made with a passkey", type: "secret", scopes: ["keys:read"] } });
    expect(created.status, created.html.slice(0, 300)).toBe(201);
    const [keyEvent] = await auditOf(partner.id);
    expect(keyEvent).toMatchObject({ action: "key.created", actor: user.id });
    // The cookie still authenticates /dashboard only.
    expect((await call("/v1/me/key", { auth: null, headers: { cookie: passkeySession } })).status).toBe(401);
  });

  it("returns to the dashboard page that asked, and only to a dashboard page", async () => {
    const { cookie, authenticator } = await tokenUser();
    await registered(cookie, authenticator);
    expect((await passkeySignIn(authenticator, { next: "/dashboard/keys" })).body.location).toBe("/dashboard/keys");
    expect((await passkeySignIn(authenticator, { next: "https://evil.example/" })).body.location).toBe("/dashboard");
  });

  it("a passkey sign-in over an existing session replaces it", async () => {
    const { cookie, authenticator } = await tokenUser();
    await registered(cookie, authenticator);
    const res = await passkeySignIn(authenticator, { cookie });
    expect(res.status).toBe(200);
    await expectEnded(cookie);
  });

  it("does not require user verification (preferred only), and saves each new counter", async () => {
    const { cookie, authenticator } = await tokenUser();
    const row = await registered(cookie, authenticator);
    expect((await passkeySignIn(authenticator, { tweak: { flags: FLAG.UP } })).status).toBe(200);
    expect((await passkeySignIn(authenticator)).status).toBe(200);
    const after = await env.DB.prepare("SELECT sign_count FROM passkeys WHERE id = ?1").bind(row.id).first<{ sign_count: number }>();
    expect(after!.sign_count).toBe(2);
  });

  it("refuses a signature counter that did not grow (a cloned authenticator)", async () => {
    const { cookie, authenticator } = await tokenUser();
    await registered(cookie, authenticator);
    const ip = freshIp();
    expect((await passkeySignIn(authenticator, { ip })).status).toBe(200);
    expect((await passkeySignIn(authenticator, { ip })).status).toBe(200);
    expectRefused(await passkeySignIn(authenticator, { ip, tweak: { signCount: 2 } }));
    expectRefused(await passkeySignIn(authenticator, { ip, tweak: { signCount: 1 } }));
    expect((await passkeySignIn(authenticator, { ip })).status).toBe(200);
  });

  it("accepts authenticators without a counter (synced passkeys report 0)", async () => {
    const { cookie } = await tokenUser();
    const synced = await SoftAuthenticator.create(-7, { counts: false });
    await registered(cookie, synced);
    expect((await passkeySignIn(synced)).status).toBe(200);
    expect((await passkeySignIn(synced)).status).toBe(200);
  });

  it("accepts RS256 authenticators too", async () => {
    const { cookie } = await tokenUser();
    const rsa = await SoftAuthenticator.create(-257);
    const row = await registered(cookie, rsa);
    expect(row.alg).toBe(-257);
    expect((await passkeySignIn(rsa)).status).toBe(200);
  });
});

describe("ceremonies that are refused", () => {
  it("a registration for another origin or relying party, or of another challenge, stores nothing", async () => {
    const { cookie, patId, authenticator } = await tokenUser();
    const cases: [string, object][] = [
      ["another origin", { origin: "http://evil.localhost:8787" }],
      ["another port", { origin: "http://localhost:9999" }],
      ["another relying party", { rpId: "evil.example" }],
      ["another challenge", { challenge: randomChallenge() }],
      ["a sign-in's clientData type", { type: "webauthn.get" }],
    ];
    for (const [label, tweak] of cases) {
      const { reply } = await register(cookie, authenticator, "Nope", tweak);
      expect([label, reply.status]).toEqual([label, 400]);
      expect(typeof reply.body.error).toBe("string");
    }
    const count = await env.DB.prepare("SELECT COUNT(*) AS n FROM passkeys WHERE key_id = ?1").bind(patId).first<{ n: number }>();
    expect(count!.n).toBe(0);
  });

  it("a registration challenge is single-use and bound to the session that asked for it", async () => {
    const { cookie, authenticator } = await tokenUser();
    const { issued, reply } = await register(cookie, authenticator);
    expect(reply.status).toBe(201);
    // Replayed as is: the challenge is spent.
    const other = await SoftAuthenticator.create();
    const replay = await post(
      "/dashboard/passkeys",
      { challengeId: issued.body.challengeId, name: "Replay", credential: await other.register({ challenge: issued.body.options.challenge }) },
      { cookie },
    );
    expect(replay.status).toBe(400);
    expect(replay.body.error).toMatch(/expired or was already used/);

    // Issued to one session, answered in another (the same user's, even): refused.
    const { pat } = await partnerUser();
    const elsewhere = await signIn(pat, { base: BASE });
    const fresh = await post("/dashboard/passkeys/options", {}, { cookie });
    const stolen = await post(
      "/dashboard/passkeys",
      { challengeId: fresh.body.challengeId, name: "Stolen", credential: await other.register({ challenge: fresh.body.options.challenge }) },
      { cookie: elsewhere },
    );
    expect(stolen.status).toBe(400);
    // Another session's attempt does not even spend it: the session it was issued to still can.
    const rightful = await post(
      "/dashboard/passkeys",
      { challengeId: fresh.body.challengeId, name: "Rightful", credential: await other.register({ challenge: fresh.body.options.challenge }) },
      { cookie },
    );
    expect(rightful.status).toBe(201);
  });

  it("a sign-in with another origin, relying party, challenge, key or a replayed assertion gets one generic 401", async () => {
    const { cookie, authenticator } = await tokenUser();
    await registered(cookie, authenticator);
    const ip = freshIp();
    // The software authenticators of one file share a key pair per algorithm: the impostor's is its own.
    const impostor = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    for (const tweak of [
      { origin: "http://evil.localhost:8787" },
      { rpId: "evil.example" },
      { challenge: randomChallenge() },
      { type: "webauthn.create" },
      { signWith: impostor.privateKey },
      { crossOrigin: true },
      { flags: 0 },
    ]) {
      expectRefused(await passkeySignIn(authenticator, { ip, tweak }));
    }
    // Replay: the same challenge and assertion posted twice; the first one signs in.
    const issued = await post("/dashboard/sign-in/passkey/options", {}, { ip });
    const body = { challengeId: issued.body.challengeId, credential: await authenticator.authenticate({ challenge: issued.body.options.challenge }) };
    expect((await post("/dashboard/sign-in/passkey", body, { ip })).status).toBe(200);
    expectRefused(await post("/dashboard/sign-in/passkey", body, { ip }));

    // An unknown passkey, a registration challenge, a missing or unreadable body.
    expectRefused(await passkeySignIn(await SoftAuthenticator.create(), { ip }));
    const registration = await post("/dashboard/passkeys/options", {}, { cookie });
    expectRefused(
      await post(
        "/dashboard/sign-in/passkey",
        { challengeId: registration.body.challengeId, credential: await authenticator.authenticate({ challenge: registration.body.options.challenge }) },
        { ip },
      ),
    );
    expectRefused(await post("/dashboard/sign-in/passkey", {}, { ip }));
    expectRefused(await post("/dashboard/sign-in/passkey", null, { ip, raw: "token=kw_pat_x" }));
  });

  it("a challenge expires 5 minutes after it was issued", async () => {
    const clock = manualClock();
    const { cookie, authenticator } = await tokenUser();
    // Registration: answered just in time, then too late.
    const inTime = await post("/dashboard/passkeys/options", {}, { cookie });
    clock.advance(5 * 60_000 - 1000);
    const okReply = await post(
      "/dashboard/passkeys",
      { challengeId: inTime.body.challengeId, name: "In time", credential: await authenticator.register({ challenge: inTime.body.options.challenge }) },
      { cookie },
    );
    expect(okReply.status, JSON.stringify(okReply.body)).toBe(201);
    const other = await SoftAuthenticator.create();
    const tooLate = await post("/dashboard/passkeys/options", {}, { cookie });
    clock.advance(5 * 60_000);
    const lateReply = await post(
      "/dashboard/passkeys",
      { challengeId: tooLate.body.challengeId, name: "Too late", credential: await other.register({ challenge: tooLate.body.options.challenge }) },
      { cookie },
    );
    expect(lateReply.status).toBe(400);
    expect(lateReply.body.error).toMatch(/expired/);

    // Sign-in: the same.
    const ip = freshIp();
    const issued = await post("/dashboard/sign-in/passkey/options", {}, { ip });
    clock.advance(5 * 60_000);
    const credential = await authenticator.authenticate({ challenge: issued.body.options.challenge });
    expectRefused(await post("/dashboard/sign-in/passkey", { challengeId: issued.body.challengeId, credential }, { ip }));
    const row = await env.DB.prepare("SELECT used_at, expires_at FROM webauthn_challenges WHERE id = ?1").bind(issued.body.challengeId).first<Record<string, any>>();
    expect(row).toMatchObject({ used_at: null });
  });

  it("failures count in the sign-in throttle like wrong tokens; a valid passkey is still let in", async () => {
    const { cookie, authenticator } = await tokenUser();
    await registered(cookie, authenticator);
    const ip = freshIp();
    const environment = { AUTH_FAILURE_LIMIT: "2/60" };
    const attempt = async (tweak: Record<string, unknown>) => {
      const issued = await post("/dashboard/sign-in/passkey/options", {}, { ip, env: environment });
      const credential = await authenticator.authenticate({ challenge: issued.body.options.challenge, ...tweak });
      return post("/dashboard/sign-in/passkey", { challengeId: issued.body.challengeId, credential }, { ip, env: environment });
    };
    expectRefused(await attempt({ origin: "http://evil.localhost:8787" }));
    expectRefused(await attempt({ challenge: randomChallenge() }));
    const throttled = await attempt({ rpId: "evil.example" });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(throttled.body.error).toContain("Too many failed sign-ins");
    expect((await attempt({})).status).toBe(200);
    // A wrong token from that address is throttled too: one budget for both ways in.
    const token = await page("/dashboard/sign-in", { base: BASE, env: environment, headers: { "cf-connecting-ip": ip }, form: { token: "wrong" } });
    expect(token.status).toBe(429);
  });
});

describe("who may have passkeys", () => {
  it("the operator has none: cannot register, has no passkeys page", async () => {
    const operator = await signIn(ADMIN, { base: BASE });
    const options = await post("/dashboard/passkeys/options", {}, { cookie: operator });
    expect(options.status).toBe(403);
    expect(options.body.error).toMatch(/operator/);
    const authenticator = await SoftAuthenticator.create();
    const finish = await post(
      "/dashboard/passkeys",
      { challengeId: "wac_x", name: "Operator", credential: await authenticator.register({ challenge: randomChallenge() }) },
      { cookie: operator },
    );
    expect(finish.status).toBe(403);
    expect((await page("/dashboard/passkeys", { base: BASE, cookie: operator })).status).toBe(404);
    expect((await page("/dashboard/partners", { base: BASE, cookie: operator })).html).not.toContain('href="/dashboard/passkeys"');
    const count = await env.DB.prepare("SELECT COUNT(*) AS n FROM passkeys WHERE credential_id = ?1").bind(b64url(authenticator.credentialId)).first<{ n: number }>();
    expect(count!.n).toBe(0);
  });

  it("signed out, the registration endpoints are refused", async () => {
    expect((await post("/dashboard/passkeys/options", {})).status).toBe(401);
    expect((await post("/dashboard/passkeys", {})).status).toBe(401);
  });

  it("another partner's user, or another user of mine, can neither see nor revoke my passkey (404)", async () => {
    const { cookie, authenticator, partner } = await tokenUser();
    const row = await registered(cookie, authenticator, "Mine");
    const stranger = await tokenUser();
    const colleagueUser = await call(`/v1/partners/${partner.id}/users`, {
      body: { first_name: "Col", last_name: "League", email: `col-${Date.now()}@example.com`, role: "ADMIN", permissions: ["keys:read"] },
    });
    const colleaguePat = await call(`/v1/partners/${partner.id}/keys`, { body: { name: "col", type: "personal", user_id: colleagueUser.body.id, scopes: ["keys:read"] } });
    const colleague = await signIn(colleaguePat.body.key, { base: BASE });
    for (const other of [stranger.cookie, colleague]) {
      const list = await page("/dashboard/passkeys", { base: BASE, cookie: other });
      expect(list.status).toBe(200);
      expect(list.html).not.toContain(row.id);
      expect(list.html).not.toContain("Mine");
      expect((await page(`/dashboard/passkeys/${row.id}/revoke`, { base: BASE, cookie: other })).status).toBe(404);
      expect((await page(`/dashboard/passkeys/${row.id}/revoke`, { base: BASE, cookie: other, method: "POST" })).status).toBe(404);
    }
    expect((await env.DB.prepare("SELECT revoked_at FROM passkeys WHERE id = ?1").bind(row.id).first<{ revoked_at: null }>())!.revoked_at).toBeNull();
    expect((await passkeySignIn(authenticator)).status).toBe(200);
  });
});

describe("a passkey ends", () => {
  it("when revoked: its sessions end on the next request, it no longer signs in, and the revocation is audited", async () => {
    const { cookie, authenticator, partner, user } = await tokenUser();
    const row = await registered(cookie, authenticator);
    const passkeySession = await passkeyCookie(authenticator);
    expect(await signedIn(passkeySession)).toBe(true);

    const confirm = await page(`/dashboard/passkeys/${row.id}/revoke`, { base: BASE, cookie });
    expect(confirm.status).toBe(200);
    expect(confirm.html).toContain("Revoke the passkey “Work laptop”?");
    const revoked = await page(`/dashboard/passkeys/${row.id}/revoke`, { base: BASE, cookie, method: "POST" });
    expect([revoked.status, revoked.location]).toEqual([303, "/dashboard/passkeys?done=revoked"]);

    await expectEnded(passkeySession);
    expect(await signedIn(cookie)).toBe(true);
    expectRefused(await passkeySignIn(authenticator, { ip: freshIp() }));
    const [event] = await auditOf(partner.id);
    expect(event).toMatchObject({ action: "passkey.revoked", actor: user.id, target_id: row.id, partner_id: partner.id });
    const list = await page("/dashboard/passkeys?done=revoked", { base: BASE, cookie });
    expect(list.html).toContain('class="badge badge-revoked"');
    expect(list.html).toContain("Passkey revoked.");
    // Revoking again changes nothing and audits nothing.
    expect((await page(`/dashboard/passkeys/${row.id}/revoke`, { base: BASE, cookie, method: "POST" })).status).toBe(303);
    expect((await auditOf(partner.id)).filter((e) => e.action === "passkey.revoked")).toHaveLength(1);
  });

  it("when revoked from its own session: that session ends with it", async () => {
    const { cookie, authenticator } = await tokenUser();
    const row = await registered(cookie, authenticator);
    const passkeySession = await passkeyCookie(authenticator);
    expect((await page(`/dashboard/passkeys/${row.id}/revoke`, { base: BASE, cookie: passkeySession })).html).toContain("You signed in with this passkey");
    expect((await page(`/dashboard/passkeys/${row.id}/revoke`, { base: BASE, cookie: passkeySession, method: "POST" })).status).toBe(303);
    await expectEnded(passkeySession);
  });

  const endings: [string, (w: Awaited<ReturnType<typeof tokenUser>>) => Promise<void>][] = [
    ["its token is revoked", async (w) => expect((await call(`/v1/keys/${w.patId}/revoke`, { method: "POST" })).status).toBe(200)],
    ["its token is rotated without grace", async (w) => expect((await call(`/v1/keys/${w.patId}/rotate`, { body: { grace_period_seconds: 0 } })).status).toBe(200)],
    [
      "its user is deactivated",
      async (w) => expect((await call(`/v1/users/${w.user.id}`, { method: "PATCH", body: { status: "deactivated" } })).status).toBe(200),
    ],
    [
      "its partner is suspended",
      async (w) => expect((await call(`/v1/partners/${w.partner.id}`, { method: "PATCH", body: { status: "suspended" } })).status).toBe(200),
    ],
  ];
  for (const [label, end] of endings) {
    it(`when ${label}: its sessions end and it no longer signs in`, async () => {
      const w = await tokenUser();
      await registered(w.cookie, w.authenticator);
      const passkeySession = await passkeyCookie(w.authenticator);
      expect(await signedIn(passkeySession)).toBe(true);
      await end(w);
      await expectEnded(passkeySession);
      expectRefused(await passkeySignIn(w.authenticator, { ip: freshIp() }));
    });
  }

  it("when its token's IP allowlist no longer admits the client", async () => {
    const w = await tokenUser();
    await registered(w.cookie, w.authenticator);
    const passkeySession = await passkeyCookie(w.authenticator);
    expect((await call(`/v1/keys/${w.patId}`, { method: "PATCH", body: { allowed_ips: ["192.0.2.0/24"] } })).status).toBe(200);
    await expectEnded(passkeySession);
    expectRefused(await passkeySignIn(w.authenticator, { ip: freshIp() }));
    expect((await passkeySignIn(w.authenticator, { ip: "192.0.2.10" })).status).toBe(200);
  });

  it("when a rotation's grace period ends, not before; a passkey added with the new secret lives on", async () => {
    const clock = manualClock();
    const w = await tokenUser();
    const old = await registered(w.cookie, w.authenticator, "Old secret");
    const rotated = await call(`/v1/keys/${w.patId}/rotate`, { body: { grace_period_seconds: 3600 } });
    expect(rotated.status).toBe(200);
    clock.advance(3599 * 1000);
    const passkeySession = await passkeyCookie(w.authenticator);
    // Signed in with the new secret, a new passkey is bound to it.
    const fresh = await signIn(rotated.body.key, { base: BASE });
    const second = await SoftAuthenticator.create();
    const newer = await registered(fresh, second, "New secret");
    expect(newer.binding).not.toBe(old.binding);
    clock.advance(1000);
    await expectEnded(passkeySession);
    expectRefused(await passkeySignIn(w.authenticator, { ip: freshIp() }));
    expect((await passkeySignIn(second)).status).toBe(200);
    // The list says which of them ended with the old secret.
    const list = await page("/dashboard/passkeys", { base: BASE, cookie: fresh });
    expect(list.html).toMatch(/Old secret[\s\S]*badge-expired/);
  });
});

describe("where passkeys work", () => {
  it("on localhost, the sign-in page has the button (shown by the script), next to the token form", async () => {
    const res = await page("/dashboard", { base: BASE });
    expect(isSignInPage(res.html)).toBe(true);
    expect(res.html).toMatch(/<button type="button" class="button secondary" data-passkey-sign-in-button="true">\s*Sign in with a passkey\s*<\/button>/);
    // Hidden until the script finds WebAuthn: without JavaScript only the token form shows.
    expect(res.html).toMatch(/<div class="passkey-sign-in stack" data-passkey-sign-in="true" hidden="">/);
    expect(res.html).toContain('aria-live="polite"');
    expect(res.html).toContain('<script src="/dashboard/static/passkeys.js" defer="">');
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
  });

  it("on 127.0.0.1 the pages say passkeys need localhost or a domain, and show no passkey buttons", async () => {
    const base = "http://127.0.0.1:8787";
    const signInPage = await page("/dashboard", { base });
    expect(signInPage.html).not.toContain("Sign in with a passkey");
    expect(signInPage.html).not.toContain("passkeys.js");
    expect(signInPage.html).toContain(NEEDS_A_DOMAIN.replace(/'/g, "&#39;").slice(0, 40));
    expect(signInPage.html).toContain('href="http://localhost:8787/dashboard"');

    const { pat } = await partnerUser();
    const cookie = await signIn(pat, { base });
    const list = await page("/dashboard/passkeys", { base, cookie });
    expect(list.status).toBe(200);
    expect(list.html).not.toContain("data-passkey-register");
    expect(list.html).toContain("http://localhost:8787/dashboard");
    const options = await post("/dashboard/passkeys/options", {}, { base, cookie });
    expect(options.status).toBe(400);
    expect(options.body.error).toBe(NEEDS_A_DOMAIN);
    expect((await post("/dashboard/sign-in/passkey/options", {}, { base })).status).toBe(400);
  });

  it("behind PUBLIC_ORIGIN, the relying party is PUBLIC_ORIGIN's host", async () => {
    const publicOrigin = "https://keys.example.com";
    const res = await post("/dashboard/sign-in/passkey/options", {}, { env: { PUBLIC_ORIGIN: publicOrigin }, origin: publicOrigin });
    expect(res.status).toBe(200);
    expect(res.body.options.rpId).toBe("keys.example.com");
    expect(res.body.options.allowCredentials).toEqual([]);
    expect(res.body.options.userVerification).toBe("preferred");
  });
});

describe("the Origin rule on the passkey endpoints", () => {
  it("every passkey POST with a foreign Origin is 403 before anything runs", async () => {
    const { cookie, authenticator } = await tokenUser();
    const row = await registered(cookie, authenticator);
    const routes = ["/dashboard/passkeys/options", "/dashboard/passkeys", `/dashboard/passkeys/${row.id}/revoke`, "/dashboard/sign-in/passkey/options", "/dashboard/sign-in/passkey"];
    for (const origin of ["https://evil.example", "http://localhost:9999", "null"]) {
      for (const route of routes) {
        const res = await post(route, { challengeId: "wac_x", name: "x" }, { cookie, origin });
        expect([origin, route, res.status]).toEqual([origin, route, 403]);
        expect(res.cookies).toEqual([]);
      }
    }
    expect((await env.DB.prepare("SELECT revoked_at FROM passkeys WHERE id = ?1").bind(row.id).first<{ revoked_at: null }>())!.revoked_at).toBeNull();
    expect(await signedIn(cookie)).toBe(true);
  });
});
