import { describe, expect, it } from "vitest";
import { createKey } from "../helpers";
import { manualClock } from "../clock";
import { ADMIN, call, env, isSignInPage, page, partnerUser, sessionCookieOf, signIn } from "./helpers";

// DESIGN §6 (contract): the session cookie's flags, its 12 h limit, sign-out, and the end of a
// session on the next request after its token, user, partner or ADMIN_TOKEN stops standing.

const attributes = (line: string) => new Map(line.split(";").map((part) => {
  const [name, ...value] = part.trim().split("=");
  return [name!.toLowerCase(), value.join("=")] as const;
}));

/** A signed-in page (not the sign-in page) for this cookie. */
async function signedInAt(path: string, cookie: string, options: Parameters<typeof page>[1] = {}) {
  const res = await page(path, { ...options, cookie });
  return res.status === 200 && !isSignInPage(res.html);
}

/** The next request with `cookie` gets the sign-in page saying the session ended, and the cookie is cleared. */
async function expectEnded(cookie: string, options: Parameters<typeof page>[1] = {}) {
  const res = await page("/dashboard", { ...options, cookie });
  expect(isSignInPage(res.html), res.html.slice(0, 300)).toBe(true);
  expect(res.html).toContain("Your session has ended");
  const cleared = res.cookies.find((c) => c.startsWith(cookie.split("=")[0]!));
  expect(cleared).toMatch(/Max-Age=0/);
}

describe("the session cookie", () => {
  it("is HttpOnly, SameSite=Strict, Secure, __Host- (so Path=/), lives at most 12 h, and D1 holds only its hash", async () => {
    const { pat } = await partnerUser();
    const res = await page("/dashboard/sign-in", { form: { token: pat } });
    expect(res.status).toBe(303);
    expect(res.location).toBe("/dashboard");
    const line = res.cookies.find((c) => c.startsWith("__Host-kw_session="))!;
    const attrs = attributes(line);
    expect(attrs.has("httponly")).toBe(true);
    expect(attrs.get("samesite")).toBe("Strict");
    expect(attrs.has("secure")).toBe(true);
    expect(attrs.get("path")).toBe("/");
    expect(attrs.has("domain")).toBe(false);
    expect(Number(attrs.get("max-age"))).toBeGreaterThan(0);
    expect(Number(attrs.get("max-age"))).toBeLessThanOrEqual(43200);

    const secret = sessionCookieOf(res).split("=")[1]!;
    const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret)))]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    const row = await env.DB.prepare("SELECT * FROM dashboard_sessions WHERE token_hash = ?1").bind(digest).first<Record<string, unknown>>();
    expect(row).toMatchObject({ kind: "key", ended_at: null });
    expect(Date.parse(row!.expires_at as string) - Date.parse(row!.created_at as string)).toBe(12 * 3600 * 1000);
    expect(JSON.stringify(row)).not.toContain(secret);
  });

  it.each(["http://localhost:8787", "http://127.0.0.1:8787"])("on %s is kw_session without Secure, and signs in", async (base) => {
    const { pat } = await partnerUser();
    const res = await page("/dashboard/sign-in", { base, form: { token: pat } });
    expect(res.status).toBe(303);
    const line = res.cookies.find((c) => c.startsWith("kw_session="))!;
    const attrs = attributes(line);
    expect(attrs.has("secure")).toBe(false);
    expect(attrs.has("httponly")).toBe(true);
    expect(attrs.get("samesite")).toBe("Strict");
    expect(Number(attrs.get("max-age"))).toBeLessThanOrEqual(43200);
    expect(await signedInAt("/dashboard", sessionCookieOf(res), { base })).toBe(true);
  });

  it("is Secure on any other origin, https included", async () => {
    const { pat } = await partnerUser();
    const res = await page("/dashboard/sign-in", { base: "https://keys.example.com", form: { token: pat } });
    expect(attributes(res.cookies.find((c) => c.startsWith("__Host-kw_session="))!).has("secure")).toBe(true);
  });

  it("never authenticates the API: /v1/* with only the cookie is 401", async () => {
    const { pat, partner } = await partnerUser();
    const userCookie = await signIn(pat);
    const operatorCookie = await signIn(ADMIN);
    for (const [path, cookie] of [["/v1/me/key", userCookie], [`/v1/partners/${partner.id}/keys`, userCookie], ["/v1/partners", operatorCookie]] as const) {
      const res = await call(path, { auth: null, headers: { cookie } });
      expect([path, res.status, res.body.code]).toEqual([path, 401, "invalid_api_key"]);
    }
  });
});

describe("a session ends", () => {
  it("12 hours after sign-in", async () => {
    const clock = manualClock();
    const { pat } = await partnerUser();
    const cookie = await signIn(pat);
    clock.advance(12 * 3600 * 1000 - 1000);
    expect(await signedInAt("/dashboard", cookie)).toBe(true);
    clock.advance(1000);
    await expectEnded(cookie);
  });

  it("at sign-out, on the server: the old cookie replayed is refused", async () => {
    const { pat } = await partnerUser();
    const cookie = await signIn(pat);
    const out = await page("/dashboard/sign-out", { method: "POST", cookie });
    expect([out.status, out.location]).toEqual([303, "/dashboard"]);
    expect(out.cookies.find((c) => c.startsWith("__Host-kw_session="))).toMatch(/Max-Age=0/);
    await expectEnded(cookie);
  });

  it("when a new sign-in replaces it", async () => {
    const { pat } = await partnerUser();
    const first = await signIn(pat);
    const second = sessionCookieOf(await page("/dashboard/sign-in", { form: { token: ADMIN }, cookie: first }));
    await expectEnded(first);
    expect(await signedInAt("/dashboard/partners", second)).toBe(true);
  });

  it("on the next request after its token is revoked", async () => {
    const { pat, patId } = await partnerUser();
    const cookie = await signIn(pat);
    expect(await signedInAt("/dashboard", cookie)).toBe(true);
    expect((await call(`/v1/keys/${patId}/revoke`, { method: "POST" })).status).toBe(200);
    await expectEnded(cookie);
  });

  it("on the next request after its token is rotated without grace", async () => {
    const { pat, patId } = await partnerUser();
    const cookie = await signIn(pat);
    expect((await call(`/v1/keys/${patId}/rotate`, { body: { grace_period_seconds: 0 } })).status).toBe(200);
    await expectEnded(cookie);
  });

  it("when a rotation's grace period ends, not before", async () => {
    const clock = manualClock();
    const { pat, patId } = await partnerUser();
    const cookie = await signIn(pat);
    const rotated = await call(`/v1/keys/${patId}/rotate`, { body: { grace_period_seconds: 3600 } });
    expect(rotated.status).toBe(200);
    clock.advance(3599 * 1000);
    expect(await signedInAt("/dashboard", cookie)).toBe(true);
    clock.advance(1000);
    await expectEnded(cookie);
    // The new secret signs in.
    expect(await signedInAt("/dashboard", await signIn(rotated.body.key))).toBe(true);
  });

  it("on the next request after its partner is suspended", async () => {
    const { pat, partner } = await partnerUser();
    const cookie = await signIn(pat);
    expect((await call(`/v1/partners/${partner.id}`, { method: "PATCH", body: { status: "suspended" } })).status).toBe(200);
    await expectEnded(cookie);
  });

  it("on the next request after its user is deactivated", async () => {
    const { pat, user } = await partnerUser();
    const cookie = await signIn(pat);
    const res = await call(`/v1/users/${user.id}`, { method: "PATCH", body: { status: "deactivated" } });
    expect(res.status, res.text).toBe(200);
    await expectEnded(cookie);
  });

  it("on the next request from outside its token's IP allowlist", async () => {
    const { pat, patId } = await partnerUser();
    const cookie = await signIn(pat);
    expect((await call(`/v1/keys/${patId}`, { method: "PATCH", body: { allowed_ips: ["198.51.100.0/24"] } })).status).toBe(200);
    await expectEnded(cookie);
    expect(await signedInAt("/dashboard", await signIn(pat, { headers: { "cf-connecting-ip": "198.51.100.9" } }), { headers: { "cf-connecting-ip": "198.51.100.9" } })).toBe(true);
  });

  it("for the operator, as soon as ADMIN_TOKEN changes (and while it is too short)", async () => {
    const cookie = await signIn(ADMIN);
    expect(await signedInAt("/dashboard/partners", cookie, { env: { ADMIN_TOKEN: ADMIN } })).toBe(true);
    await expectEnded(cookie, { env: { ADMIN_TOKEN: `${ADMIN}-rotated` } });
    const again = await signIn(ADMIN);
    await expectEnded(again, { env: { ADMIN_TOKEN: "short" } });
  });
});

describe("sign-in", () => {
  it("refuses anything but the operator token or a user's personal access token, saying so, with no cookie", async () => {
    const { partner, pat } = await partnerUser();
    const secretKey = (await createKey(partner.id, { name: "server" })).key;
    const unbound = (await createKey(partner.id, { name: "no user", type: "personal" })).key;
    const cases: [string, number][] = [
      ["", 401],
      ["not a token", 401],
      [`${ADMIN}x`, 401],
      [secretKey, 401],
      [pat.slice(0, -1) + (pat.endsWith("a") ? "b" : "a"), 401],
      [unbound, 403],
    ];
    for (const [token, status] of cases) {
      const res = await page("/dashboard/sign-in", { form: { token }, headers: { "cf-connecting-ip": "192.0.2.60" } });
      expect([token, res.status]).toEqual([token, status]);
      expect(isSignInPage(res.html)).toBe(true);
      expect(res.html).toMatch(status === 401 ? /That token was not accepted/ : /not bound to a user/);
      expect(res.cookies.filter((c) => /kw_session=[^;]/.test(c))).toEqual([]);
    }
  });

  it("throttles failed sign-ins per address with 429, and still lets a valid token in", async () => {
    const { pat } = await partnerUser();
    const options = { env: { AUTH_FAILURE_LIMIT: "3/60" }, headers: { "cf-connecting-ip": "192.0.2.77" } };
    for (let i = 0; i < 3; i++) expect((await page("/dashboard/sign-in", { ...options, form: { token: "wrong" } })).status).toBe(401);
    const throttled = await page("/dashboard/sign-in", { ...options, form: { token: "wrong" } });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(throttled.html).toContain("Too many failed sign-ins");
    expect(isSignInPage(throttled.html)).toBe(true);
    // Another address is not affected; a valid token from the throttled one is still let in.
    expect((await page("/dashboard/sign-in", { ...options, headers: { "cf-connecting-ip": "192.0.2.78" }, form: { token: "wrong" } })).status).toBe(401);
    expect((await page("/dashboard/sign-in", { ...options, form: { token: pat } })).status).toBe(303);
  });

  it("returns to the page that asked for it, and only to a dashboard page", async () => {
    const { pat } = await partnerUser();
    const asked = await page("/dashboard/keys");
    expect(asked.html).toContain('name="next" value="/dashboard/keys"');
    expect((await page("/dashboard/sign-in", { form: { token: pat, next: "/dashboard/keys" } })).location).toBe("/dashboard/keys");
    for (const next of ["https://evil.example/", "//evil.example/dashboard", "/dashboard/../v1/partners", "/v1/me/key"]) {
      expect((await page("/dashboard/sign-in", { form: { token: pat, next } })).location).toBe("/dashboard");
    }
  });
});
