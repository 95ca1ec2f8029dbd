import { describe, expect, it } from "vitest";
import { createKey, createPartner, createUser, me, unique } from "../helpers";
import { ADMIN, call, env, isSignInPage, newSecretIn, page, partnerUser, signIn, type Page } from "./helpers";

// What a person sees and does in the portal and the console: the pages act through the API, so
// what they show (and refuse) is the API's.

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/** The page keeps to its own origin: the CSP, no inline script or style, nothing loaded from elsewhere. */
function expectOwnOrigin(res: Page, label: string) {
  expect(res.headers.get("content-security-policy"), label).toBe(CSP);
  expect(res.headers.get("content-security-policy"), label).not.toContain("unsafe-inline");
  if (!res.html) return;
  expect(res.html, label).toContain('<link rel="icon" href="/dashboard/favicon.svg"');
  for (const [, attrs, body] of res.html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
    expect(attrs, label).toMatch(/src="\/dashboard\/static\/app\.js"/);
    expect(body, label).toBe("");
  }
  expect(res.html, label).not.toMatch(/\sstyle=|\son[a-z]+=|<style/i);
  expect(res.html, label).not.toMatch(/(src|href|action)="(https?:)?\/\//);
}

describe("signed out", () => {
  it("every /dashboard page is the sign-in page: a field labelled Token and a button named Sign in", async () => {
    for (const path of ["/dashboard", "/dashboard/keys", "/dashboard/partners", "/dashboard/nowhere"]) {
      const res = await page(path);
      expect([path, res.status]).toEqual([path, 200]);
      expect(isSignInPage(res.html)).toBe(true);
      expect(res.html).toMatch(/<input id="token" name="token" type="password"/);
      expectOwnOrigin(res, path);
    }
  });
});

describe("every dashboard response", () => {
  it("carries the CSP without unsafe-inline, loads nothing from another origin, and links the dashboard's own favicon", async () => {
    const { partner, pat, patId, user } = await partnerUser();
    const userCookie = await signIn(pat);
    const operatorCookie = await signIn(ADMIN);
    const base = `/dashboard/partners/${partner.id}`;
    const responses: [string, Page][] = [
      ["sign-in refused", await page("/dashboard/sign-in", { form: { token: "wrong" }, headers: { "cf-connecting-ip": "192.0.2.90" } })],
      ["sign-in redirect", await page("/dashboard/sign-in", { form: { token: pat } })],
      ["foreign origin", await page("/dashboard/sign-out", { method: "POST", origin: "https://evil.example" })],
      ["not found", await page("/dashboard/nowhere", { cookie: userCookie })],
    ];
    for (const path of ["/dashboard", "/dashboard/keys", `/dashboard/keys/${patId}`, `/dashboard/keys/${patId}/revoke`, "/dashboard/users", `/dashboard/users/${user.id}`, "/dashboard/audit", "/dashboard/webhooks"]) {
      responses.push([path, await page(path, { cookie: userCookie })]);
    }
    for (const path of ["/dashboard", "/dashboard/partners", "/dashboard/audit", "/dashboard/webhooks", base, `${base}/keys`, `${base}/keys/${patId}`, `${base}/users`, `${base}/audit`, `${base}/webhooks`]) {
      responses.push([`operator ${path}`, await page(path, { cookie: operatorCookie })]);
    }
    for (const [label, res] of responses) {
      expect([label, res.status < 500]).toEqual([label, true]);
      expectOwnOrigin(res, label);
      expect(res.headers.get("cache-control"), label).toBe("no-store");
      expect(res.headers.get("x-content-type-options"), label).toBe("nosniff");
    }
  });

  it("gets its CSS, script and favicon from Workers static assets on the same origin, under the same CSP", async () => {
    const assets = (env as unknown as { ASSETS: Fetcher }).ASSETS;
    for (const [path, type] of [["/dashboard/static/app.css", "text/css"], ["/dashboard/static/app.js", "javascript"], ["/dashboard/favicon.svg", "image/svg+xml"]]) {
      const res = await assets.fetch(new Request(`http://keyward.test${path}`));
      expect([path, res.status]).toEqual([path, 200]);
      expect(res.headers.get("content-type"), path).toContain(type);
      expect(res.headers.get("content-security-policy"), path).toBe(CSP);
      expect(await res.text(), path).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    }
  });
});

describe("the partner portal", () => {
  it("creates a key: its full secret shown once with a copy button, working at once, and audited with the user as actor", async () => {
    const { partner, pat, user } = await partnerUser();
    const cookie = await signIn(pat);
    const empty = await page("/dashboard/keys", { cookie });
    expect(newSecretIn(empty.html)).toBeNull();

    const res = await page("/dashboard/keys", { cookie, form: { name: "Checkout server", type: "secret", scopes: ["charges:read"] } });
    expect(res.status).toBe(201);
    const secret = newSecretIn(res.html)!;
    expect(secret).toMatch(/^kw_sk_/);
    expect(res.html).toMatch(/<button type="button" class="button" data-copy="new-key-secret" hidden="">Copy<\/button>/);
    expect(res.html).toContain("Checkout server");

    const used = await me(secret);
    expect(used.status).toBe(200);
    expect(used.body).toMatchObject({ name: "Checkout server", scopes: ["charges:read"], created_by: user.id });
    const audit = await call(`/v1/partners/${partner.id}/audit-events`);
    expect(audit.body.data[0]).toMatchObject({ action: "key.created", actor: user.id, target_id: used.body.id });
    // Shown once: the list afterwards shows the key, never its secret.
    const after = await page("/dashboard/keys", { cookie });
    expect(after.html).toContain("Checkout server");
    expect(after.html).not.toContain(secret);
    expect(newSecretIn(after.html)).toBeNull();
  });

  it("offers only the scopes the signed-in user holds, and shows the API's refusal of more", async () => {
    const { pat } = await partnerUser({ permissions: ["keys:read", "keys:write", "users:read"] });
    const cookie = await signIn(pat);
    const form = await page("/dashboard/keys", { cookie });
    const offered = [...form.html.matchAll(/name="scopes" value="([^"]+)"/g)].map((m) => m[1]);
    expect(offered).toEqual(["keys:read", "keys:write", "users:read"]);
    const refused = await page("/dashboard/keys", { cookie, form: { name: "too much", type: "secret", scopes: ["audit:read"] } });
    // The API said 403; the page is the form again with its words, a page that worked: 200.
    expect(refused.status).toBe(200);
    expect(refused.html).toContain("A key cannot grant scopes it does not hold: audit:read.");
    expect(refused.html).toContain('value="too much"');
  });

  it("shows the API's own message next to the field for an invalid CIDR, and saves a valid list", async () => {
    const { partner, pat } = await partnerUser();
    const target = await createKey(partner.id, { name: "edge", scopes: ["keys:read"] });
    const cookie = await signIn(pat);
    const path = `/dashboard/keys/${target.api_key.id}/allowlists`;
    const form = { allowed_origins: "", allowed_ips: "203.0.113.0/24\n10.0.0.1/8", allowed_agents: "" };
    const res = await page(path, { cookie, form });
    // The form again with the API's 400 next to the field: a page that worked, 200 (no console error in a browser).
    expect(res.status).toBe(200);
    // The same body straight to the API: the page shows exactly its message, for the entry at fault.
    const api = await call(`/v1/keys/${target.api_key.id}`, { method: "PATCH", body: { allowed_ips: ["203.0.113.0/24", "10.0.0.1/8"] } });
    expect(api.body.errors).toEqual([{ path: "allowed_ips.1", message: expect.any(String) }]);
    expect(res.html).toContain(`<ul class="field-errors" id="allowed_ips-errors"><li>“10.0.0.1/8”: ${api.body.errors[0].message}</li></ul>`);
    expect(res.html).toMatch(/<textarea id="allowed_ips"[^>]*aria-describedby="allowed_ips-hint allowed_ips-errors"[^>]*>203\.0\.113\.0\/24\n10\.0\.0\.1\/8<\/textarea>/);
    expect((await call(`/v1/keys/${target.api_key.id}`)).body.allowed_ips).toEqual([]);

    const saved = await page(path, { cookie, form: { ...form, allowed_ips: "203.0.113.0/24\n10.0.0.0/8" } });
    expect([saved.status, saved.location]).toEqual([303, `/dashboard/keys/${target.api_key.id}?done=allowlists`]);
    expect((await call(`/v1/keys/${target.api_key.id}`)).body.allowed_ips).toEqual(["203.0.113.0/24", "10.0.0.0/8"]);
    expect((await page(saved.location!, { cookie })).html).toContain("Allowlists saved.");
  });

  it("rotates with a grace period (the new secret shown once, the old one still working) and revokes after a confirmation", async () => {
    const { partner, pat } = await partnerUser();
    const target = await createKey(partner.id, { name: "rotating", scopes: ["keys:read"] });
    const cookie = await signIn(pat);
    const base = `/dashboard/keys/${target.api_key.id}`;
    const detail = await page(base, { cookie });
    expect(detail.html).toContain('name="grace_period_seconds" value="3600"');
    const rotated = await page(`${base}/rotate`, { cookie, form: { grace_period_seconds: "3600" } });
    expect(rotated.status).toBe(200);
    const secret = newSecretIn(rotated.html)!;
    expect(secret).not.toBe(target.key);
    expect((await me(secret)).status).toBe(200);
    expect((await me(target.key)).status).toBe(200);

    const confirm = await page(`${base}/revoke`, { cookie });
    expect(confirm.html).toContain("Revoke “rotating”?");
    expect(confirm.html).toMatch(/<form method="post" action="\/dashboard\/keys\/key_\w+\/revoke"/);
    expect((await call(`/v1/keys/${target.api_key.id}`)).body.status).toBe("active");
    const revoked = await page(`${base}/revoke`, { cookie, method: "POST" });
    expect([revoked.status, revoked.location]).toEqual([303, `${base}?done=revoked`]);
    expect((await me(secret)).status).toBe(401);
    expect((await me(target.key)).status).toBe(401);
    const after = await page(revoked.location!, { cookie });
    expect(after.html).toContain("The key is revoked.");
    expect(after.html).not.toContain("Rotate secret");
  });

  it("adds users and lists them", async () => {
    const { partner, pat } = await partnerUser();
    const cookie = await signIn(pat);
    const email = `${unique("grace")}@example.com`;
    const added = await page("/dashboard/users", { cookie, form: { first_name: "Grace", last_name: "Hopper", email, role: "ENGINEER", kind: "user", permissions: ["keys:read"] } });
    expect([added.status, added.location]).toEqual([303, "/dashboard/users?done=added"]);
    const list = await page(added.location!, { cookie });
    expect(list.html).toContain("Grace Hopper");
    expect(list.html).toContain(email);
    const users = await call(`/v1/partners/${partner.id}/users`);
    expect(users.body.data.find((u: { email: string }) => u.email === email)).toMatchObject({ permissions: ["keys:read"] });
    const taken = await page("/dashboard/users", { cookie, form: { first_name: "Grace", last_name: "Again", email, role: "ENGINEER" } });
    // The API's 409, shown on the form again (200) with the entered values kept.
    expect(taken.status).toBe(200);
    expect(taken.html).toContain("That did not work.");
    expect(taken.html).toContain('value="Again"');
  });

  it("shows a partner user only its own partner: another partner's key, user and partner pages are 404", async () => {
    const { pat } = await partnerUser();
    const other = await createPartner();
    const otherUser = await createUser(other.id);
    const otherKey = await createKey(other.id, { name: "theirs" });
    const cookie = await signIn(pat);
    for (const path of [
      `/dashboard/keys/${otherKey.api_key.id}`,
      `/dashboard/keys/${otherKey.api_key.id}/revoke`,
      `/dashboard/users/${otherUser.id}`,
      `/dashboard/partners/${other.id}`,
      `/dashboard/partners/${other.id}/keys/${otherKey.api_key.id}`,
      "/dashboard/partners",
    ]) {
      const res = await page(path, { cookie });
      expect([path, res.status]).toEqual([path, 404]);
      expect(res.html).toContain("Page not found");
      expect(res.html).not.toContain("theirs");
    }
    const revoke = await page(`/dashboard/keys/${otherKey.api_key.id}/revoke`, { cookie, method: "POST" });
    expect(revoke.status).toBe(404);
    expect((await me(otherKey.key)).status).toBe(200);
  });

  it("has empty states and a readable audit log", async () => {
    const operator = await signIn(ADMIN);
    const partner = await createPartner();
    const base = `/dashboard/partners/${partner.id}`;
    expect((await page(`${base}/keys`, { cookie: operator })).html).toContain("No keys yet — create one below.");
    expect((await page(`${base}/users`, { cookie: operator })).html).toContain("No users yet — add one below.");
    const audit = await page(`${base}/audit`, { cookie: operator });
    expect(audit.html).toContain("Partner created");
  });
});

describe("the operator console", () => {
  it("creates, finds, suspends and reactivates partners and sets their tier", async () => {
    const cookie = await signIn(ADMIN);
    const slug = unique("acme");
    const created = await page("/dashboard/partners", {
      cookie,
      form: { name: "Acme Rockets", slug, contact_email: "ops@acme.example", website_url: "https://acme.example", rate_limit_tier: "premium", scopes: "keys:read\nkeys:write" },
    });
    expect(created.status).toBe(303);
    const id = /^\/dashboard\/partners\/([0-9a-f-]{36})\?done=created$/.exec(created.location!)![1]!;
    expect((await call(`/v1/partners/${id}`)).body).toMatchObject({ slug, rate_limit_tier: "premium", scopes: ["keys:read", "keys:write"] });

    const found = await page(`/dashboard/partners?q=${slug.toUpperCase()}`, { cookie });
    expect(found.html).toContain("Acme Rockets");
    expect((await page(`/dashboard/partners?q=${unique("none")}`, { cookie })).html).toContain("No partner matches.");
    const taken = await page("/dashboard/partners", { cookie, form: { name: "Again", slug, contact_email: "a@b.example", website_url: "https://b.example" } });
    // The API's 409, shown on the form again (200) with the entered values kept.
    expect(taken.status).toBe(200);
    expect(taken.html).toContain("That did not work.");
    expect(taken.html).toContain('value="Again"');

    const suspended = await page(`/dashboard/partners/${id}/status`, { cookie, form: { status: "suspended", back: "/dashboard/partners" } });
    expect([suspended.status, suspended.location]).toEqual([303, "/dashboard/partners?done=status"]);
    expect((await call(`/v1/partners/${id}`)).body.status).toBe("suspended");
    expect((await page(`/dashboard/partners/${id}/status`, { cookie, form: { status: "active" } })).status).toBe(303);
    expect((await call(`/v1/partners/${id}`)).body.status).toBe("active");
    expect((await page(`/dashboard/partners/${id}/tier`, { cookie, form: { rate_limit_tier: "standard" } })).status).toBe(303);
    expect((await call(`/v1/partners/${id}`)).body.rate_limit_tier).toBe("standard");
  });

  it("acts in a partner's portal as the operator, and reads the global audit log", async () => {
    const cookie = await signIn(ADMIN);
    const a = await createPartner();
    const b = await createPartner();
    const res = await page(`/dashboard/partners/${a.id}/keys`, { cookie, form: { name: "operator-made", type: "secret", scopes: ["keys:read"] } });
    expect(res.status).toBe(201);
    expect((await me(newSecretIn(res.html)!)).body.created_by).toBe("operator");
    // The operator's view of one partner shows only that partner's objects: A's key under B is 404.
    const keyOfA = (await me(newSecretIn(res.html)!)).body.id;
    const userOfA = await createUser(a.id);
    expect((await page(`/dashboard/partners/${a.id}/keys/${keyOfA}`, { cookie })).status).toBe(200);
    expect((await page(`/dashboard/partners/${b.id}/keys/${keyOfA}`, { cookie })).status).toBe(404);
    expect((await page(`/dashboard/partners/${b.id}/users/${userOfA.id}`, { cookie })).status).toBe(404);
    expect((await page(`/dashboard/partners/${b.id}/keys/${keyOfA}/revoke`, { cookie, method: "POST" })).status).toBe(404);
    expect((await me(newSecretIn(res.html)!)).status).toBe(200);
    const global = await page("/dashboard/audit", { cookie });
    expect(global.html).toContain(`/dashboard/partners/${a.id}`);
    expect(global.html).toContain(`/dashboard/partners/${b.id}`);
    expect((await page("/dashboard", { cookie })).location).toBe("/dashboard/partners");
  });
});

describe("usage on the pages", () => {
  it("a key's page charts its calls (the numbers table counts them) and the keys list shows its sparkline", async () => {
    const { partner, pat } = await partnerUser();
    const cookie = await signIn(pat);
    const { key, api_key } = await createKey(partner.id, { scopes: [] });
    for (let i = 0; i < 3; i++) expect((await me(key)).status).toBe(200);

    const keyPage = await page(`/dashboard/keys/${api_key.id}`, { cookie });
    expect(keyPage.status).toBe(200);
    expect(keyPage.html).toContain('data-testid="usage-chart"');
    expect(keyPage.html).toMatch(/<svg[^>]*role="img"/);
    // The 24-hour chart's summary names the three admitted requests, live from the key's object.
    expect(keyPage.html).toMatch(/Last 24 hours by hour: 3 admitted/);
    expect((await page(`/dashboard/keys/${api_key.id}?usage=minute`, { cookie })).html).toMatch(/Last 24 hours by minute: 3 admitted/);

    const list = await page("/dashboard/keys", { cookie });
    expect(list.html).toContain("24-hour usage: 3 admitted requests");
  });
});

describe("user access", () => {
  it("the operator deactivates a user from its page: the user's token is refused by the API and its session ends; reactivating restores both", async () => {
    const { partner, pat, user } = await partnerUser();
    const userCookie = await signIn(pat);
    const operator = await signIn(ADMIN);
    const userPage = `/dashboard/partners/${partner.id}/users/${user.id}`;
    expect((await page(userPage, { cookie: operator })).html).toContain("Deactivate user");

    const done = await page(`${userPage}/status`, { cookie: operator, form: { status: "deactivated" } });
    expect([done.status, done.location]).toEqual([303, `${userPage}?done=status`]);
    expect((await page(done.location!, { cookie: operator })).html).toContain("Reactivate user");
    expect((await me(pat)).status).toBe(401);
    expect(isSignInPage((await page("/dashboard/keys", { cookie: userCookie })).html)).toBe(true);
    const audit = await call(`/v1/partners/${partner.id}/audit-events`);
    expect(audit.body.data[0]).toMatchObject({ action: "user.updated", actor: "operator", target_id: user.id });

    await page(`${userPage}/status`, { cookie: operator, form: { status: "active" } });
    expect((await me(pat)).status).toBe(200);
    expect(isSignInPage((await page("/dashboard/keys", { cookie: await signIn(pat) })).html)).toBe(false);
  });
});

describe("user access across partners", () => {
  it("the operator changing a user under another partner's portal path gets the 404 page, and the user is untouched", async () => {
    const a = await partnerUser();
    const b = await partnerUser();
    const operator = await signIn(ADMIN);
    const res = await page(`/dashboard/partners/${a.partner.id}/users/${b.user.id}/status`, { cookie: operator, form: { status: "deactivated" } });
    expect(res.status).toBe(404);
    expect((await call(`/v1/users/${b.user.id}`)).body.status).toBe("active");
  });
});
