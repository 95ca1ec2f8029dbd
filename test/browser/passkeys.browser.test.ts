import { existsSync, rmSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applySchema, freePort, operatorClient, startWrangler, waitForHealthy } from "../../scripts/lib/local-server.mjs";

// Passkeys (DESIGN §6) in a real Chromium against a real `wrangler dev`, with Chromium's virtual
// authenticator (CDP WebAuthn domain) standing in for a phone or a security key: sign in with a
// personal access token, add a passkey, sign out, sign in with the passkey; then the operator
// revokes the token through the API and the same passkey is refused with the one generic message.
// At http://localhost, not 127.0.0.1: browsers refuse WebAuthn at IP addresses. Nothing may leave
// the origin and nothing may be logged as an error but Chromium's line for the refused sign-in.

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  // Straight to stderr: vitest's console capture would hide a skipped file's warning.
  process.stderr.write(
    `\n⚠ SKIPPING the real-browser passkeys test: no Chromium at ${CHROMIUM}.\n` +
      `  Install it with "apt-get install -y chromium" (CI's .ci/run does) or set CHROMIUM_PATH.\n\n`,
  );
}

// Its own server and state, on a free port, so it runs beside the other browser tests.
const STATE = ".wrangler/browser-passkeys-state";
const SCOPES = ["keys:read", "keys:write", "users:read", "users:write", "audit:read"];
/** Bounds for a loaded 2-core machine, not waits: every wait below ends on an event or a condition. */
const ACTION_TIMEOUT = 30_000;
const NAVIGATION_TIMEOUT = 60_000;
/** The one answer to a refused passkey sign-in (src/dashboard/passkeys.ts PASSKEY_NOT_ACCEPTED). */
const NOT_ACCEPTED = "That passkey was not accepted.";
/** Chromium's console line for a response with an error status (here: the refused sign-in's 401). */
const ERROR_STATUS_LINE = /^Failed to load resource: the server responded with a status of (\d{3}) \(/;

describe.skipIf(!hasChromium)("passkeys in a real browser", { timeout: 180_000 }, () => {
  let wrangler: ReturnType<typeof startWrangler> | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId = "";
  /** The browser's origin: localhost. */
  let BASE = "";
  /** The same server for Node's own API calls. */
  let API = "";
  let api: ReturnType<typeof operatorClient>;
  const ada = { partnerId: "", partnerName: "Passkey Partners", userId: "", pat: "", patId: "" };

  const requests: string[] = [];
  const foreign: string[] = [];
  const consoleErrors: { text: string; url: string }[] = [];
  /** Error-status responses the test asked for on purpose: `${status} ${url}`. */
  const provoked = new Set<string>();

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

    const partner = await api("/v1/partners", {
      body: { slug: "passkeys", name: ada.partnerName, contact_email: "ops@passkeys.example", website_url: "https://passkeys.example", scopes: SCOPES },
    });
    expect(partner.status, JSON.stringify(partner.body)).toBe(201);
    ada.partnerId = partner.body.id;
    const user = await api(`/v1/partners/${ada.partnerId}/users`, {
      body: { first_name: "Ada", last_name: "Lovelace", email: "ada@passkeys.example", role: "ADMIN", permissions: SCOPES },
    });
    expect(user.status, JSON.stringify(user.body)).toBe(201);
    ada.userId = user.body.id;
    const pat = await api(`/v1/partners/${ada.partnerId}/keys`, { body: { name: "Ada's token", type: "personal", user_id: ada.userId, scopes: SCOPES } });
    expect(pat.status, JSON.stringify(pat.body)).toBe(201);
    ada.pat = pat.body.key;
    ada.patId = pat.body.api_key.id;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: "light", serviceWorkers: "block" });
    context.setDefaultTimeout(ACTION_TIMEOUT);
    context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT);
    await context.addInitScript(() =>
      document.addEventListener("securitypolicyviolation", (e) => console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`)),
    );
    // Offline but for the dashboard: any other request is recorded and aborted.
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (new URL(url).origin === BASE) return route.continue();
      foreign.push(url);
      return route.abort("internetdisconnected");
    });
    page = await context.newPage();
    page.on("request", (request) => requests.push(request.url()));
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push({ text: message.text(), url: message.location().url });
    });
    page.on("pageerror", (error) => consoleErrors.push({ text: `pageerror: ${error.message}`, url: page.url() }));

    // A platform authenticator that holds discoverable credentials and verifies its user.
    cdp = await context.newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    const added = await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });
    authenticatorId = added.authenticatorId;
  });

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

  /** Console errors other than Chromium's line for a response the test provoked on purpose. */
  const unexpectedConsoleErrors = () =>
    consoleErrors.filter(({ text, url }) => {
      const status = ERROR_STATUS_LINE.exec(text)?.[1];
      return !(status && provoked.has(`${status} ${url}`));
    });

  function expectClean() {
    expect(foreign, "requests to another origin").toEqual([]);
    expect(requests.filter((url) => new URL(url).origin !== BASE), "requests to another origin").toEqual([]);
    expect(unexpectedConsoleErrors(), "console errors").toEqual([]);
  }

  /** Runs `action` and waits for the document it leads to, and that document's load event. */
  async function navigates(action: () => Promise<unknown>, path?: string) {
    const loaded = page.waitForURL((url) => (path ? url.pathname + url.search === path : true), { waitUntil: "load", timeout: NAVIGATION_TIMEOUT });
    const response = page.waitForResponse((r) => r.request().isNavigationRequest() && r.frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400), {
      timeout: NAVIGATION_TIMEOUT,
    });
    await action();
    const [res] = await Promise.all([response, loaded]);
    return res;
  }

  const heading = () => page.getByRole("heading", { level: 1 }).innerText();
  const passkeyButton = () => page.getByRole("button", { name: "Sign in with a passkey", exact: true });
  const passkeyStatus = () => page.locator("[data-passkey-status]");

  async function expectSignInPage() {
    await page.getByLabel("Token").waitFor();
    await page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
    expect(await heading()).toBe("Sign in to Keyward");
  }

  it("signs in with the token, adds a passkey on the Passkeys page, and lists it", async () => {
    const first = await page.goto(`${BASE}/dashboard`);
    expect(first?.status()).toBe(200);
    await expectSignInPage();
    // The script found WebAuthn and showed the button beside the token form.
    await passkeyButton().waitFor();

    await page.getByLabel("Token").fill(ada.pat);
    const signedIn = await navigates(() => page.getByRole("button", { name: "Sign in", exact: true }).click());
    expect(signedIn.status()).toBe(200);
    expect(await heading()).toBe(ada.partnerName);

    await navigates(() => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Passkeys", exact: true }).click(), "/dashboard/passkeys");
    expect(await heading()).toBe("Passkeys");
    await page.getByText("No passkeys yet.").waitFor();

    await page.getByLabel("Name", { exact: true }).fill("Test laptop");
    await navigates(() => page.getByRole("button", { name: "Add a passkey", exact: true }).click(), "/dashboard/passkeys?done=added");
    await page.getByText("Passkey added.").waitFor();
    const row = page.getByRole("region", { name: "Passkeys" }).getByRole("row").filter({ hasText: "Test laptop" });
    expect(await row.innerText()).toContain("Active");
    await row.getByRole("link", { name: "Revoke Test laptop" }).waitFor();

    // The authenticator holds it as a discoverable credential for localhost.
    const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]).toMatchObject({ isResidentCredential: true, rpId: "localhost" });

    // Audited, with the user as the actor.
    const audit = await api(`/v1/partners/${ada.partnerId}/audit-events`);
    expect(audit.body.data[0]).toMatchObject({ action: "passkey.registered", actor: ada.userId });
    expectClean();
  });

  it("signs out, then signs in with the passkey (the button `Sign in with a passkey`) to the portal", async () => {
    const out = await navigates(() => page.getByRole("button", { name: "Sign out" }).click());
    expect(out.status()).toBe(200);
    await expectSignInPage();
    expect((await context.cookies(BASE)).find((c) => c.name === "kw_session")).toBeUndefined();

    await navigates(() => passkeyButton().click(), "/dashboard");
    expect(await heading()).toBe(ada.partnerName);
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    const cookie = (await context.cookies(BASE)).find((c) => c.name === "kw_session");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });

    // The passkey's session has the token's portal: its keys page works.
    const keys = await navigates(() => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Keys", exact: true }).click(), "/dashboard/keys");
    expect(keys.status()).toBe(200);
    await page.getByRole("region", { name: "Keys" }).getByText("Ada's token").waitFor();
    expectClean();
  });

  it("after the operator revokes the token through the API, the passkey's session ends and the passkey is refused with the generic message", async () => {
    const revoked = await api(`/v1/keys/${ada.patId}/revoke`, { method: "POST" });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);

    // The passkey's session ends on its next request.
    const next = await page.goto(`${BASE}/dashboard/keys`);
    expect(next?.status()).toBe(200);
    await expectSignInPage();
    expect(await page.getByRole("status").innerText()).toContain("Your session has ended.");

    provoke(401, `${BASE}/dashboard/sign-in/passkey`);
    await passkeyButton().click();
    await passkeyStatus().filter({ hasText: NOT_ACCEPTED }).waitFor();
    expect(await passkeyStatus().getAttribute("aria-live")).toBe("polite");
    // Still the sign-in page (where the ended session left it), signed out, the button ready for another try.
    expect(new URL(page.url()).pathname).toBe("/dashboard/keys");
    await expectSignInPage();
    expect(await passkeyButton().isEnabled()).toBe(true);
    expect((await context.cookies(BASE)).find((c) => c.name === "kw_session")).toBeUndefined();
    expectClean();
  });

  it("made no request outside the dashboard's origin and logged no console error but the refused sign-in's 401", async () => {
    await context?.close();
    expect(requests).toEqual(expect.arrayContaining([`${BASE}/dashboard/static/passkeys.js`, `${BASE}/dashboard/sign-in/passkey/options`, `${BASE}/dashboard/passkeys/options`]));
    const statusLines = consoleErrors.flatMap(({ text, url }) => {
      const status = ERROR_STATUS_LINE.exec(text)?.[1];
      return status ? [`${status} ${url}`] : [];
    });
    expect(new Set(statusLines)).toEqual(provoked);
    expectClean();
  });

  function provoke(status: number, url: string) {
    provoked.add(`${status} ${url}`);
  }
});
