import { existsSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applySchema, freePort, operatorClient, startWrangler, waitForHealthy } from "../../scripts/lib/local-server.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  // Straight to stderr: vitest's console capture would hide a skipped file's warning.
  process.stderr.write(
    `\n⚠ SKIPPING the real-browser CORS test: no Chromium at ${CHROMIUM}.\n` +
      `  Install it with "apt-get install -y chromium" (CI's .ci/run does) or set CHROMIUM_PATH.\n\n`,
  );
}

// A free port, so this server never collides with another test's or a developer's `wrangler dev`.
let API = "";
const STATE = ".wrangler/browser-test-state";

/** A page that calls the API (at `api`) from its own origin, the way a partner's web app would. */
const page = (api: string) => `<!doctype html><meta charset="utf-8"><title>partner app</title>
<script>
  window.callApi = async (key) => {
    try {
      const res = await fetch("${api}/v1/me/key", { headers: { "X-API-Key": key } });
      return { status: res.status, body: await res.json(), remaining: res.headers.get("RateLimit-Remaining") };
    } catch (err) {
      return { blocked: String(err) };
    }
  };
</script>`;

function servePage(): Promise<{ server: Server; origin: string }> {
  return new Promise((resolve) => {
    const server = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(page(API)));
    server.listen(0, "127.0.0.1", () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  });
}

describe.skipIf(!hasChromium)("a real browser calling Keyward", () => {
  let wrangler: ReturnType<typeof startWrangler>;
  let browser: Browser;
  const pages: { server: Server; origin: string }[] = [];
  let key = "";

  beforeAll(async () => {
    rmSync(STATE, { recursive: true, force: true });
    applySchema(STATE);
    const port = await freePort();
    API = `http://127.0.0.1:${port}`;
    wrangler = startWrangler(port, { stdio: "ignore", extraArgs: ["--ip", "127.0.0.1", "--persist-to", STATE] });
    await waitForHealthy(API);
    for (let i = 0; i < 3; i++) pages.push(await servePage());
    const [allowed, , elsewhere] = pages;

    const api = operatorClient(API);
    const partner = await api("/v1/partners", {
      body: { slug: `browser-${Date.now()}`, name: "Browser test", contact_email: "b@t.example", website_url: "https://t.example" },
    });
    key = (await api(`/v1/partners/${partner.body.id}/keys`, { body: { name: "web", type: "publishable", allowed_origins: [allowed!.origin] } })).body.key;
    // Registered for another key only: its preflight passes, but this key must still refuse it.
    await api(`/v1/partners/${partner.body.id}/keys`, { body: { name: "other", type: "publishable", allowed_origins: [elsewhere!.origin] } });

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
  });

  afterAll(async () => {
    await browser?.close();
    for (const { server } of pages) server.close();
    if (wrangler?.pid) process.kill(-wrangler.pid, "SIGTERM");
  });

  /** The preflight a browser sends before the page's fetch, asked directly. */
  const preflightFrom = (origin: string) =>
    fetch(`${API}/v1/me/key`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "GET" } });

  async function callFrom(origin: string) {
    const page = await browser.newPage();
    await page.goto(origin);
    const result: any = await page.evaluate((k) => (window as unknown as { callApi: (k: string) => Promise<unknown> }).callApi(k), key);
    await page.close();
    return result;
  }

  it("succeeds from the key's allowed origin and can read the rate-limit headers", async () => {
    const result = await callFrom(pages[0]!.origin);
    expect(result.status).toBe(200);
    expect(result.body.type).toBe("publishable");
    expect(Number(result.remaining)).toBeGreaterThan(0);
  });

  it("is blocked by the browser from a foreign origin, whose preflight the API refuses", async () => {
    const origin = pages[1]!.origin;
    const result = await callFrom(origin);
    expect(result.blocked).toMatch(/TypeError: Failed to fetch/);
    // What the browser was told: no CORS permission for this origin at all.
    const preflight = await preflightFrom(origin);
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("is blocked from an origin registered on another key but not on this one", async () => {
    const origin = pages[2]!.origin;
    const result = await callFrom(origin);
    expect(result.blocked).toMatch(/TypeError: Failed to fetch/);
    // The preflight passes (the origin is known), but this key's own list refuses the real request.
    const preflight = await preflightFrom(origin);
    expect(preflight.status).toBe(204);
    const real = await fetch(`${API}/v1/me/key`, { headers: { origin, "x-api-key": key } });
    expect(real.status).toBe(403);
    expect((await real.json()).code).toBe("origin_not_allowed");
    expect(real.headers.get("access-control-allow-origin")).toBeNull();
  });
});
