import { existsSync, rmSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startWrangler, waitForHealthy } from "../../scripts/lib/local-server.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  // Straight to stderr: vitest's console capture would hide a skipped file's warning.
  process.stderr.write(
    `\n⚠ SKIPPING the real-browser /docs test: no Chromium at ${CHROMIUM}.\n` +
      `  Install it with "apt-get install -y chromium" (CI's .ci/run does) or set CHROMIUM_PATH.\n\n`,
  );
}

// Its own server and state, on a free port, so it can run beside the other browser tests.
const STATE = ".wrangler/browser-docs-test-state";


/** A Content-Security-Policy header as directive name → source list. */
function parseCsp(header: string | null | undefined): Map<string, string[]> {
  return new Map(
    (header ?? "")
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name!.toLowerCase(), sources]),
  );
}

function expectStrictScriptSrc(header: string | null | undefined) {
  expect(header, "Content-Security-Policy header").toBeTruthy();
  const csp = parseCsp(header);
  expect(csp.get("script-src")).toEqual(["'self'"]);
  // Nothing else may let a script in behind script-src's back.
  expect(csp.get("default-src")).toEqual(["'none'"]);
  expect(csp.has("script-src-elem")).toBe(false);
  expect(csp.has("script-src-attr")).toBe(false);
  expect(csp.get("connect-src")).toEqual(["'self'"]);
  expect(csp.get("img-src")).toEqual(["'self'", "data:"]);
}

describe.skipIf(!hasChromium)("/docs in a real browser, offline", () => {
  let wrangler: ReturnType<typeof startWrangler>;
  let browser: Browser;
  let API = "";

  beforeAll(async () => {
    const port = await freePort();
    API = `http://127.0.0.1:${port}`;
    rmSync(STATE, { recursive: true, force: true });
    // /docs and /openapi.json touch no storage, so no schema is applied.
    wrangler = startWrangler(port, { stdio: "ignore", extraArgs: ["--ip", "127.0.0.1", "--persist-to", STATE] });
    await waitForHealthy(API);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (wrangler?.pid) process.kill(-wrangler.pid, "SIGTERM");
  });

  /** A page on which every request to another origin is aborted and recorded, as if offline. */
  async function offlinePage() {
    const page = await browser.newPage({ serviceWorkers: "block" });
    const foreign: string[] = [];
    const requested: string[] = [];
    const errors: string[] = [];
    page.on("request", (req) => requested.push(req.url()));
    page.on("console", (msg) => {
      if (msg.type() === "error") errors.push(msg.text());
    });
    page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
    page.on("requestfailed", (req) => {
      if (new URL(req.url()).origin === API) errors.push(`request failed: ${req.url()} ${req.failure()?.errorText}`);
    });
    // CSP violations are reported as console errors too; this makes sure none goes unnoticed.
    await page.addInitScript(() =>
      document.addEventListener("securitypolicyviolation", (e) =>
        console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`),
      ),
    );
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (new URL(url).origin === API) return route.continue();
      foreign.push(url);
      return route.abort("internetdisconnected");
    });
    return { page, foreign, requested, errors };
  }

  async function waitForOperations(page: Page) {
    await page.locator(".swagger-ui .info .title").filter({ hasText: "Keyward API" }).waitFor({ timeout: 30_000 });
    await page.locator(".opblock").first().waitFor({ timeout: 30_000 });
  }

  it("answers GET /docs by sending the browser to /docs/, under the strict CSP", async () => {
    const bare = await fetch(`${API}/docs`, { redirect: "manual" });
    expect([301, 302, 307, 308]).toContain(bare.status);
    expect(new URL(bare.headers.get("location")!, API).href).toBe(`${API}/docs/`);
    expectStrictScriptSrc(bare.headers.get("content-security-policy"));

    const page = await fetch(`${API}/docs/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expectStrictScriptSrc(page.headers.get("content-security-policy"));
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await page.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it("renders the API and its operations from this origin alone, with no console errors", async () => {
    const { page, foreign, requested, errors } = await offlinePage();
    const response = await page.goto(`${API}/docs`);
    // The document that ends up rendered (after the redirect) and its CSP.
    expect(page.url()).toBe(`${API}/docs/`);
    expect(response!.status()).toBe(200);
    expectStrictScriptSrc(await response!.headerValue("content-security-policy"));

    await waitForOperations(page);
    await expect.poll(() => page.locator(".opblock-summary-path").allInnerTexts()).toContain("/v1/partners");
    const paths = await page.locator(".opblock-summary-path").allInnerTexts();
    expect(paths).toEqual(expect.arrayContaining(["/healthz", "/v1/keys/verify", "/oauth2/token"]));
    expect(paths.length).toBeGreaterThan(10);
    expect(await page.title()).toBe("Keyward API");

    // "Try it out" works under connect-src 'self': the UI calls the API on this origin.
    const health = page.locator(".opblock").filter({ has: page.locator(".opblock-summary-path", { hasText: /^\/healthz$/ }) });
    await health.locator(".opblock-summary").click();
    await health.getByRole("button", { name: "Try it out" }).click();
    await health.getByRole("button", { name: "Execute" }).click();
    await expect.poll(() => health.locator(".live-responses-table tbody .response-col_status").first().innerText()).toContain("200");

    expect(foreign, "requests to another origin").toEqual([]);
    expect(requested.every((url) => new URL(url).origin === API)).toBe(true);
    expect(requested).toEqual(
      expect.arrayContaining([`${API}/docs/vendor/swagger-ui-bundle.js`, `${API}/docs/init.js`, `${API}/openapi.json`]),
    );
    expect(errors, "console errors").toEqual([]);
    await page.close();
  });

  it("enforces script-src 'self' in the page: inline and foreign scripts do not run", async () => {
    const { page, foreign, errors } = await offlinePage();
    await page.goto(`${API}/docs`);
    await waitForOperations(page);
    const ran = await page.evaluate(async () => {
      const w = window as unknown as Record<string, unknown>;
      const inline = document.createElement("script");
      inline.textContent = "window.__inlineRan = true";
      document.body.append(inline);
      const remote = document.createElement("script");
      remote.src = "https://cdn.example.com/evil.js";
      const settled = new Promise((resolve) => (remote.onerror = remote.onload = resolve));
      document.body.append(remote);
      await settled;
      return { inline: w.__inlineRan === true };
    });
    expect(ran.inline).toBe(false);
    // The CSP stopped the foreign script before any request was made.
    expect(foreign).toEqual([]);
    expect(errors.filter((e) => e.startsWith("CSP violation: script-src")).length).toBeGreaterThanOrEqual(2);
    await page.close();
  });
});
