import { existsSync, rmSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Cookie, type Page, type Response } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applySchema, devVar, freePort, operatorClient, startWrangler, waitForHealthy } from "../../scripts/lib/local-server.mjs";

// The dashboard (DESIGN §6, issue 12's browser tests) driven by a real Chromium against a real
// `wrangler dev`: sign in with a personal access token, create a key and read its secret once,
// call the API with it, see the call in the usage chart, rotate, edit an allowlist, revoke, partner
// isolation, the operator console, sign-out. Every request the pages make and every console
// message is recorded: nothing may leave the dashboard's origin and nothing may be logged as an
// error, except the one line Chromium logs for a document deliberately answered with an error
// status (a wrong token's 401, another partner's 404), each declared where it is provoked.

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  // Straight to stderr: vitest's console capture would hide a skipped file's warning.
  process.stderr.write(
    `\n⚠ SKIPPING the real-browser dashboard test: no Chromium at ${CHROMIUM}.\n` +
      `  Install it with "apt-get install -y chromium" (CI's .ci/run does) or set CHROMIUM_PATH.\n\n`,
  );
}

// Its own server and state, on a free port, so it runs beside the other browser tests.
const STATE = ".wrangler/browser-dashboard-state";
const SCOPES = ["keys:read", "keys:write", "users:read", "users:write", "audit:read", "charges:read"];
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 800 };
/** Bounds for a loaded 2-core machine, not waits: every wait below ends on an event or a condition. */
const ACTION_TIMEOUT = 30_000;
const NAVIGATION_TIMEOUT = 60_000;

/** `Failed to load resource: the server responded with a status of 404 (Not Found)`: Chromium's line for an error-status document. */
const ERROR_STATUS_LINE = /^Failed to load resource: the server responded with a status of (\d{3}) \(/;

describe.skipIf(!hasChromium)("the dashboard in a real browser", { timeout: 180_000 }, () => {
  let wrangler: ReturnType<typeof startWrangler> | undefined;
  let browser: Browser | undefined;
  /** The browser's origin: `localhost`, not 127.0.0.1 (WebAuthn refuses IP origins). */
  let BASE = "";
  /** The same server for Node's own API calls. */
  let API = "";
  let api: ReturnType<typeof operatorClient>;

  const a = { id: "", name: "Acme Payments", userId: "", pat: "" };
  const b = { id: "", name: "Bolt Logistics", userId: "", keyId: "", keyName: "Bolt internal server" };

  // What every page did, across all contexts.
  const requests: string[] = [];
  const foreign: string[] = [];
  const consoleErrors: { text: string; url: string }[] = [];
  /** Error-status documents the test asked for on purpose: `${status} ${url}`. */
  const provoked = new Set<string>();

  /** The key created in the browser, shared by the steps that follow. */
  const key = { id: "", name: "Checkout server", secret: "", rotated: "" };

  beforeAll(async () => {
    rmSync(STATE, { recursive: true, force: true });
    applySchema(STATE);
    const port = await freePort();
    BASE = `http://localhost:${port}`;
    API = `http://127.0.0.1:${port}`;
    // --ip 127.0.0.1: bound where /etc/hosts sends `localhost`, whatever Node would pick for it.
    wrangler = startWrangler(port, { stdio: "ignore", extraArgs: ["--ip", "127.0.0.1", "--persist-to", STATE] });
    await waitForHealthy(API, 150_000);
    api = operatorClient(API);

    const partnerA = await api("/v1/partners", {
      body: { slug: "acme", name: a.name, contact_email: "ops@acme.example", website_url: "https://acme.example", scopes: SCOPES },
    });
    expect(partnerA.status, JSON.stringify(partnerA.body)).toBe(201);
    a.id = partnerA.body.id;
    const userA = await api(`/v1/partners/${a.id}/users`, {
      body: { first_name: "Ada", last_name: "Lovelace", email: "ada@acme.example", role: "ADMIN", permissions: SCOPES },
    });
    expect(userA.status, JSON.stringify(userA.body)).toBe(201);
    a.userId = userA.body.id;
    const patA = await api(`/v1/partners/${a.id}/keys`, { body: { name: "Ada's token", type: "personal", user_id: a.userId, scopes: SCOPES } });
    expect(patA.status, JSON.stringify(patA.body)).toBe(201);
    a.pat = patA.body.key;

    const partnerB = await api("/v1/partners", {
      body: { slug: "bolt", name: b.name, contact_email: "ops@bolt.example", website_url: "https://bolt.example", scopes: SCOPES },
    });
    expect(partnerB.status, JSON.stringify(partnerB.body)).toBe(201);
    b.id = partnerB.body.id;
    const userB = await api(`/v1/partners/${b.id}/users`, {
      body: { first_name: "Bea", last_name: "Bolt", email: "bea@bolt.example", role: "ADMIN", permissions: SCOPES },
    });
    expect(userB.status, JSON.stringify(userB.body)).toBe(201);
    b.userId = userB.body.id;
    const patB = await api(`/v1/partners/${b.id}/keys`, { body: { name: "Bea's token", type: "personal", user_id: b.userId, scopes: SCOPES } });
    expect(patB.status, JSON.stringify(patB.body)).toBe(201);
    const keyB = await api(`/v1/partners/${b.id}/keys`, { body: { name: b.keyName, type: "secret", scopes: ["charges:read"] } });
    expect(keyB.status, JSON.stringify(keyB.body)).toBe(201);
    b.keyId = keyB.body.api_key.id;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    // wrangler's first start (bundling, workerd) can take well over 30 s on a busy 2-core machine.
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    if (wrangler?.pid) {
      try {
        process.kill(-wrangler.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
    }
  });

  /** A fresh browser context (its own cookies) whose pages are all watched; requests elsewhere are aborted, as offline. */
  async function newContext(viewport = DESKTOP): Promise<BrowserContext> {
    const context = await browser!.newContext({ viewport, colorScheme: "light", serviceWorkers: "block" });
    context.setDefaultTimeout(ACTION_TIMEOUT);
    context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT);
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
    // CSP violations are logged as console errors by Chromium; this names them plainly too.
    await context.addInitScript(() =>
      document.addEventListener("securitypolicyviolation", (e) =>
        console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`),
      ),
    );
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (new URL(url).origin === BASE) return route.continue();
      foreign.push(url);
      return route.abort("internetdisconnected");
    });
    context.on("page", watch);
    return context;
  }

  function watch(page: Page) {
    page.on("request", (request) => requests.push(request.url()));
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push({ text: message.text(), url: message.location().url });
    });
    page.on("pageerror", (error) => consoleErrors.push({ text: `pageerror: ${error.message}`, url: page.url() }));
  }

  /** Declares that the next document at `url` is meant to answer `status` (so Chromium's one line about it is expected). */
  function provoke(status: number, url: string) {
    provoked.add(`${status} ${url}`);
  }

  /** Console errors other than Chromium's line for a document the test provoked on purpose. */
  function unexpectedConsoleErrors() {
    return consoleErrors.filter(({ text, url }) => {
      const status = ERROR_STATUS_LINE.exec(text)?.[1];
      return !(status && provoked.has(`${status} ${url}`));
    });
  }

  /** Nothing left the origin and nothing went wrong in a page, so far. */
  function expectClean() {
    expect(foreign, "requests to another origin").toEqual([]);
    expect(requests.filter((url) => new URL(url).origin !== BASE), "requests to another origin").toEqual([]);
    expect(unexpectedConsoleErrors(), "console errors").toEqual([]);
  }

  /**
   * Runs `action` (a click that submits a form or follows a link) and waits for the document it
   * leads to: its final response (after any redirect) and that document's load event.
   */
  async function navigates(page: Page, action: () => Promise<unknown>): Promise<Response> {
    const response = page.waitForResponse(
      (r) => r.request().isNavigationRequest() && r.frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400),
      { timeout: NAVIGATION_TIMEOUT },
    );
    const loaded = page.waitForEvent("load", { timeout: NAVIGATION_TIMEOUT });
    await action();
    const [res] = await Promise.all([response, loaded]);
    return res;
  }

  async function goto(page: Page, path: string): Promise<Response> {
    const res = await page.goto(BASE + path);
    expect(res, `a response for ${path}`).not.toBeNull();
    return res!;
  }

  async function signIn(page: Page, token: string): Promise<Response> {
    if (!(await page.getByLabel("Token").isVisible())) await goto(page, "/dashboard");
    await page.getByLabel("Token").fill(token);
    return navigates(page, () => page.getByRole("button", { name: "Sign in", exact: true }).click());
  }

  async function expectSignInPage(page: Page) {
    await page.getByLabel("Token").waitFor();
    await page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("Sign in to Keyward");
  }

  const sessionCookie = async (context: BrowserContext): Promise<Cookie> => {
    const cookie = (await context.cookies(BASE)).find((c) => c.name === "kw_session");
    expect(cookie, "the session cookie").toBeDefined();
    return cookie!;
  };

  /** The API, called by Node as a partner's server would. */
  const callWith = async (secret: string) => (await fetch(`${API}/v1/me/key`, { headers: { "X-API-Key": secret } })).status;

  const keyPath = () => `/dashboard/keys/${key.id}`;

  /** A row of the key page's details (`Last used`, …). */
  const detail = (page: Page, term: string) =>
    page.locator(".details > div").filter({ has: page.locator("dt", { hasText: new RegExp(`^${term}$`) }) }).locator("dd");

  let context: BrowserContext;
  let page: Page;

  it("shows the sign-in page signed out, a readable error for a wrong token, and the portal for a partner user's token", async () => {
    context = await newContext();
    page = await context.newPage();
    const first = await goto(page, "/dashboard");
    expect(first.status()).toBe(200);
    await expectSignInPage(page);
    expect(await page.getByLabel("Token").getAttribute("type")).toBe("password");

    // A wrong token: the sign-in page again, 401, with words a person understands.
    provoke(401, `${BASE}/dashboard/sign-in`);
    const refused = await signIn(page, "kw_pat_0000000000000000000000000000000000000000");
    expect(refused.status()).toBe(401);
    await expectSignInPage(page);
    expect(await page.getByRole("alert").innerText()).toContain("That token was not accepted.");

    const signedIn = await signIn(page, a.pat);
    expect(signedIn.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe("/dashboard");
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe(a.name);
    expect(await page.locator("main").innerText()).toContain("Signed in as Ada Lovelace with the token “Ada's token”.");
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    expect(await page.getByLabel("Token").count()).toBe(0);
    expectClean();
  });

  it("creates a key and shows its full secret exactly once, with a Copy button that copies it", async () => {
    await goto(page, "/dashboard/keys");
    await page.getByLabel("Name", { exact: true }).fill(key.name);
    await page.getByRole("checkbox", { name: "charges:read" }).check();
    const created = await navigates(page, () => page.getByRole("button", { name: "Create key" }).click());
    expect(created.status()).toBe(201);

    const shown = page.getByTestId("new-key-secret");
    key.secret = (await shown.innerText()).trim();
    expect(key.secret).toMatch(/^kw_sk_[0-9A-Za-z_]+$/);
    expect(await page.getByTestId("new-key-secret").count()).toBe(1);

    // The Copy button (revealed by the dashboard's own script), used from the keyboard.
    const copy = page.getByRole("button", { name: "Copy" });
    await copy.focus();
    expect(await copy.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press("Enter");
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText()), { timeout: ACTION_TIMEOUT }).toBe(key.secret);

    // The keys page again: the key is listed, its secret is nowhere.
    const again = await goto(page, "/dashboard/keys");
    expect(await again.text()).not.toContain(key.secret);
    expect(await page.content()).not.toContain(key.secret);
    expect(await page.getByTestId("new-key-secret").count()).toBe(0);
    const link = page.getByRole("region", { name: "Keys" }).getByRole("link", { name: key.name });
    key.id = new URL((await link.getAttribute("href"))!, BASE).pathname.split("/").pop()!;
    expect(key.id).toMatch(/^key_/);
    expectClean();
  });

  it("admits a call with the new key, then shows it as last used and in the key's usage chart", async () => {
    expect(await callWith(key.secret)).toBe(200);
    const me = await fetch(`${API}/v1/me/key`, { headers: { "X-API-Key": key.secret } });
    expect(((await me.json()) as { id: string }).id).toBe(key.id);

    // The open bucket is served live by the key's Durable Object: both calls, at once.
    await goto(page, keyPath());
    const chart = page.getByTestId("usage-chart");
    await chart.locator("summary", { hasText: "Show the numbers" }).first().click();
    const table = chart.getByRole("table", { name: /^Last 24 hours/ });
    // textContent, not innerText: the headings are styled in capitals.
    const headers = (await table.locator("thead th").allTextContents()).map((t) => t.trim());
    const admitted = headers.indexOf("Admitted");
    expect(admitted, `an Admitted column in ${JSON.stringify(headers)}`).toBeGreaterThan(0);
    const total = table.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "Total" }) });
    // Column 0 is the row header (the bucket's time, or "Total"); the cells follow it.
    expect((await total.locator("td").allTextContents())[admitted - 1]?.trim()).toBe("2");

    // `last_used_at` reaches D1 with the key's first usage flush (a few seconds after its first use).
    await expect
      .poll(
        async () => {
          await goto(page, keyPath());
          return (await detail(page, "Last used").innerText()).trim();
        },
        { timeout: 120_000, interval: 1_000 },
      )
      .toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
    await goto(page, "/dashboard/keys");
    const row = page.getByRole("region", { name: "Keys" }).getByRole("row").filter({ has: page.getByRole("link", { name: key.name }) });
    expect(await row.innerText()).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expectClean();
  });

  it("rotates with no grace period: the new secret shown once works, the old one is refused", async () => {
    await goto(page, keyPath());
    await page.getByRole("radio", { name: "At once" }).check();
    const rotated = await navigates(page, () => page.getByRole("button", { name: "Rotate secret" }).click());
    expect(rotated.status()).toBe(200);
    key.rotated = (await page.getByTestId("new-key-secret").innerText()).trim();
    expect(key.rotated).toMatch(/^kw_sk_/);
    expect(key.rotated).not.toBe(key.secret);

    expect(await callWith(key.secret)).toBe(401);
    expect(await callWith(key.rotated)).toBe(200);

    const again = await goto(page, keyPath());
    expect(await again.text()).not.toContain(key.rotated);
    expect(await page.getByTestId("new-key-secret").count()).toBe(0);
    expectClean();
  });

  it("shows the API's own error next to the IPs field for an invalid CIDR and changes nothing, then saves a valid list", async () => {
    await goto(page, keyPath());
    const ips = page.getByLabel("IP addresses and networks");
    await ips.fill("10.0.0.0/33");
    const refused = await navigates(page, () => page.getByRole("button", { name: "Save allowlists" }).click());
    // The form again with the API's problem: a page that worked (no console error), 200.
    expect(refused.status()).toBe(200);

    // What the API itself says about the same list (refused there too, so nothing changes).
    const direct = await api(`/v1/keys/${key.id}`, { method: "PATCH", body: { allowed_ips: ["10.0.0.0/33"] } });
    expect(direct.status).toBe(400);
    const message = direct.body.errors.find((e: { path: string }) => e.path === "allowed_ips.0").message as string;
    const errors = page.locator("#allowed_ips-errors");
    expect((await errors.innerText()).trim()).toBe(`“10.0.0.0/33”: ${message}`);
    expect((await ips.getAttribute("aria-describedby"))!.split(" ")).toContain("allowed_ips-errors");
    expect(await ips.inputValue()).toBe("10.0.0.0/33");
    expect(await page.getByRole("alert").innerText()).toContain("That did not work.");
    expect((await api(`/v1/keys/${key.id}`)).body.allowed_ips).toEqual([]);

    // A valid list (this machine's loopback, so the key keeps working from here) is saved.
    await ips.fill("127.0.0.0/8\n::1/128");
    const saved = await navigates(page, () => page.getByRole("button", { name: "Save allowlists" }).click());
    expect(saved.status()).toBe(200);
    expect(new URL(page.url()).search).toBe("?done=allowlists");
    expect(await page.getByRole("status").filter({ hasText: "Allowlists saved." }).count()).toBe(1);
    // Saved as the API keeps it (a single address without its /128), and shown so.
    expect((await api(`/v1/keys/${key.id}`)).body.allowed_ips).toEqual(["127.0.0.0/8", "::1"]);
    expect(await page.getByLabel("IP addresses and networks").inputValue()).toBe("127.0.0.0/8\n::1");
    expect(await page.locator("#allowed_ips-errors").count()).toBe(0);
    expect(await callWith(key.rotated)).toBe(200);
    expectClean();
  });

  it("works at 375 px wide: the keys page fits, and a secret shown there fits too", async () => {
    const phone = await newContext(PHONE);
    await phone.addCookies([await sessionCookie(context)]);
    const small = await phone.newPage();
    await goto(small, "/dashboard/keys");
    const fits = () => small.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    expect(await small.evaluate(() => window.innerWidth)).toBe(PHONE.width);
    expect(await fits()).toBe(true);
    // The keys table scrolls inside its own region, not the page.
    await small.getByRole("region", { name: "Keys" }).getByRole("link", { name: key.name }).waitFor();

    await small.getByLabel("Name", { exact: true }).fill("Phone-made key");
    await small.getByRole("checkbox", { name: "charges:read" }).check();
    const create = small.getByRole("button", { name: "Create key" });
    const box = (await create.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
    const created = await navigates(small, () => create.click());
    expect(created.status()).toBe(201);
    const secret = small.getByTestId("new-key-secret");
    const secretBox = (await secret.boundingBox())!;
    expect(secretBox.x).toBeGreaterThanOrEqual(0);
    expect(secretBox.x + secretBox.width).toBeLessThanOrEqual(PHONE.width);
    expect(await fits()).toBe(true);
    await small.getByRole("button", { name: "Copy" }).waitFor();
    await phone.close();
    expectClean();
  });

  it("revokes after a confirmation step: the key shows revoked and the API refuses it", async () => {
    await goto(page, keyPath());
    const confirm = await navigates(page, () => page.getByRole("link", { name: "Revoke this key…" }).click());
    expect(confirm.status()).toBe(200);
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe(`Revoke “${key.name}”?`);
    // Asking is not doing: still active until confirmed.
    expect((await api(`/v1/keys/${key.id}`)).body.status).toBe("active");
    expect(await callWith(key.rotated)).toBe(200);

    const revoked = await navigates(page, () => page.getByRole("button", { name: "Revoke key" }).click());
    expect(revoked.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe(keyPath());
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toContain("Revoked");
    expect(await page.getByRole("status").filter({ hasText: "The key is revoked." }).count()).toBe(1);
    expect(await page.getByRole("button", { name: "Rotate secret" }).count()).toBe(0);
    expect((await api(`/v1/keys/${key.id}`)).body.status).toBe("revoked");
    expect(await callWith(key.rotated)).toBe(401);
    expect(await callWith(key.secret)).toBe(401);
    expectClean();
  });

  let partnerCookie: Cookie;

  it("shows a partner user nothing of another partner (404), and the operator every partner", async () => {
    for (const path of [`/dashboard/keys/${b.keyId}`, `/dashboard/users/${b.userId}`, `/dashboard/partners/${b.id}`]) {
      provoke(404, BASE + path);
      const res = await goto(page, path);
      expect([path, res.status()]).toEqual([path, 404]);
      expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("Page not found");
      const html = await page.content();
      expect(html).not.toContain(b.keyName);
      expect(html).not.toContain(b.name);
    }

    partnerCookie = await sessionCookie(context);
    const out = await navigates(page, () => page.getByRole("button", { name: "Sign out" }).click());
    expect(out.status()).toBe(200);
    await expectSignInPage(page);

    const operator = await signIn(page, devVar("ADMIN_TOKEN")!);
    expect(operator.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe("/dashboard/partners");
    const partners = page.getByRole("region", { name: "Partners" });
    await partners.getByRole("link", { name: a.name }).waitFor();
    await partners.getByRole("link", { name: b.name }).waitFor();

    await navigates(page, () => partners.getByRole("link", { name: a.name }).click());
    expect(new URL(page.url()).pathname).toBe(`/dashboard/partners/${a.id}`);
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe(a.name);
    await navigates(page, () => page.getByRole("navigation", { name: "Partner" }).getByRole("link", { name: "Keys" }).click());
    expect(new URL(page.url()).pathname).toBe(`/dashboard/partners/${a.id}/keys`);
    const keys = page.getByRole("region", { name: "Keys" });
    await keys.getByRole("link", { name: key.name }).waitFor();
    await keys.getByRole("link", { name: "Ada's token" }).waitFor();
    expect(await keys.getByRole("link", { name: b.keyName }).count()).toBe(0);
    expectClean();
  });

  it("signs out, and a signed-out session's cookie replayed in a fresh browser gets the sign-in page", async () => {
    const operatorCookie = await sessionCookie(context);
    const out = await navigates(page, () => page.getByRole("button", { name: "Sign out" }).click());
    expect(out.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe("/dashboard");
    await expectSignInPage(page);
    expect((await context.cookies(BASE)).find((c) => c.name === "kw_session")).toBeUndefined();

    for (const [who, cookie] of [["partner user", partnerCookie], ["operator", operatorCookie]] as const) {
      const fresh = await newContext();
      await fresh.addCookies([cookie]);
      const replay = await fresh.newPage();
      const res = await goto(replay, "/dashboard/keys");
      expect([who, res.status()]).toEqual([who, 200]);
      await expectSignInPage(replay);
      expect(await replay.getByRole("status").innerText()).toContain("Your session has ended.");
      expect(await replay.getByRole("region", { name: "Keys" }).count()).toBe(0);
      // The refused cookie is cleared: the next page is the plain sign-in page.
      expect((await fresh.cookies(BASE)).find((c) => c.name === "kw_session")).toBeUndefined();
      await goto(replay, "/dashboard/partners");
      await expectSignInPage(replay);
      await fresh.close();
    }
    expectClean();
  });

  it("made no request outside the dashboard's origin and logged no console error, in any page", async () => {
    await context?.close();
    expect(requests.length).toBeGreaterThan(20);
    // Its own static files came from its own origin.
    expect(requests).toEqual(expect.arrayContaining([`${BASE}/dashboard/static/app.css`, `${BASE}/dashboard/static/app.js`]));
    // The recorder works: it heard Chromium's line for each error-status document provoked above, and only those.
    const statusLines = consoleErrors.flatMap(({ text, url }) => {
      const status = ERROR_STATUS_LINE.exec(text)?.[1];
      return status ? [`${status} ${url}`] : [];
    });
    expect(new Set(statusLines)).toEqual(provoked);
    expectClean();
  });
});
