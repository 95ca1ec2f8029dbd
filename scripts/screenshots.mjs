#!/usr/bin/env node
// `npm run screenshots`: the README's dashboard screenshots (docs/screenshots/*.png), run by hand,
// not by `npm test`. Starts its own `wrangler dev` on a free port with its own fresh local state
// (.wrangler/screenshots-state), seeds partners, users and keys through the operator API, calls
// the API with the keys so their usage shows (admitted, rate-limited, out of credits, refused),
// waits for the keys' first usage flush (their "last used"), then signs in with Chromium and saves
// light-theme PNGs at 1280×800 (desktop) and 375×812 (phone) of the sign-in page, a partner's keys
// list, a key's page, a webhook endpoint's page with its delivery log (deliveries to a receiver this
// script runs on loopback, WEBHOOK_ALLOW_LOCAL=on) and the operator's partners console. Needs
// Chromium (CHROMIUM_PATH, default /usr/bin/chromium), as the browser tests do.
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { applyMigrations, devVar, freePort, operatorClient, startWrangler, waitForHealthy } from "./lib/local-server.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
process.chdir(ROOT);
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const STATE = ".wrangler/screenshots-state";
const OUT = "docs/screenshots";
const SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 375, height: 812 } };
const SCOPES = ["keys:read", "keys:write", "users:read", "users:write", "audit:read", "webhooks:read", "webhooks:write", "charges:read", "charges:write"];
// The default tiers plus a small one, so one key's chart shows rate-limited requests too.
const TIERS = {
  standard: { limit: 1000, window_seconds: 60 },
  premium: { limit: 20000, window_seconds: 60 },
  starter: { limit: 40, window_seconds: 60 },
};

if (!existsSync(CHROMIUM)) {
  console.error(`No Chromium at ${CHROMIUM}: install it ("apt-get install -y chromium") or set CHROMIUM_PATH.`);
  process.exit(1);
}

rmSync(STATE, { recursive: true, force: true });
applyMigrations(STATE);
const port = await freePort();
// The browser uses localhost (as the dashboard's browser test does); Node calls the same server by IP.
const BASE = `http://localhost:${port}`;
const API = `http://127.0.0.1:${port}`;
// A webhook receiver on loopback: its first answer is a 500 (so the log shows a failed attempt and
// its retry), then 204s.
let hits = 0;
const receiver = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.statusCode = hits++ === 0 ? 500 : 204;
    res.end(res.statusCode === 500 ? "receiver restarting" : undefined);
  });
});
await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const RECEIVER = `http://127.0.0.1:${receiver.address().port}/keyward-hooks`;
const wrangler = startWrangler(port, {
  stdio: "ignore",
  vars: { RATE_LIMIT_TIERS: JSON.stringify(TIERS), WEBHOOK_ALLOW_LOCAL: "on", WEBHOOK_RETRY_DELAYS: "2,5,30" },
  extraArgs: ["--ip", "127.0.0.1", "--persist-to", STATE],
});
const stop = () => {
  try {
    process.kill(-wrangler.pid, "SIGTERM");
  } catch {
    // Already gone.
  }
};
process.on("SIGINT", () => {
  stop();
  process.exit(130);
});

let browser;
try {
  await waitForHealthy(API, 150_000);
  const api = operatorClient(API);
  const must = async (what, path, options) => {
    const res = await api(path, options);
    if (res.status >= 300) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  // The operator's partners: one suspended, for the console's badges.
  const partner = async (slug, name, extra = {}) =>
    must(`partner ${slug}`, "/v1/partners", {
      body: { slug, name, contact_email: `ops@${slug}.example`, website_url: `https://${slug}.example`, scopes: SCOPES, ...extra },
    });
  const acme = await partner("acme-payments", "Acme Payments", { rate_limit_tier: "premium" });
  await partner("bolt-logistics", "Bolt Logistics");
  await partner("northwind-travel", "Northwind Travel");
  const globex = await partner("globex", "Globex Corporation");
  await must("suspend globex", `/v1/partners/${globex.id}`, { method: "PATCH", body: { status: "suspended" } });

  const ada = await must("user ada", `/v1/partners/${acme.id}/users`, {
    body: { first_name: "Ada", last_name: "Lovelace", email: "ada@acme-payments.example", role: "ADMIN", permissions: SCOPES },
  });
  await must("user grace", `/v1/partners/${acme.id}/users`, {
    body: { first_name: "Grace", last_name: "Hopper", email: "grace@acme-payments.example", role: "ENGINEER", permissions: ["keys:read", "charges:read"] },
  });
  // Before the keys, so their key.created events reach it.
  const hook = await must("webhook", `/v1/partners/${acme.id}/webhooks`, {
    body: { url: RECEIVER, events: ["key.created", "key.rotated", "key.revoked", "rate_limit.exceeded"], description: "Billing sync" },
  });
  const key = (body) => must(`key ${body.name}`, `/v1/partners/${acme.id}/keys`, { body });
  const pat = await key({ name: "Ada's token", type: "personal", user_id: ada.id, scopes: SCOPES });
  const checkout = await key({ name: "Checkout server", type: "secret", scopes: ["charges:read", "charges:write"], rate_limit_tier: "starter" });
  const reports = await key({ name: "Nightly reports", type: "secret", scopes: ["charges:read"], description: "The reporting job" });
  const sandbox = await key({ name: "Sandbox", type: "secret", scopes: ["charges:read"], credits_remaining: 10 });
  await key({ name: "Web checkout", type: "publishable", scopes: ["charges:read"], allowed_origins: ["https://shop.acme-payments.example"] });
  const legacy = await key({ name: "Legacy integration", type: "secret", scopes: ["charges:read"], allowed_ips: ["203.0.113.0/24"] });

  // Traffic, from this machine: a few calls at a time.
  const calls = async (secret, n, path = "/v1/me/key") => {
    const statuses = [];
    for (let i = 0; i < n; i += 4) {
      const batch = Array.from({ length: Math.min(4, n - i) }, () => fetch(API + path, { headers: { "X-API-Key": secret } }).then((r) => r.status));
      statuses.push(...(await Promise.all(batch)));
    }
    return statuses;
  };
  const tally = (statuses) => Object.entries(statuses.reduce((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {})).map(([s, n]) => `${n}×${s}`).join(" ");
  // Refused for a missing scope (keys:read), then more than its tier's 40 a minute.
  console.log(`Checkout server: ${tally([...(await calls(checkout.key, 3, `/v1/partners/${acme.id}/keys`)), ...(await calls(checkout.key, 46))])}`);
  console.log(`Nightly reports: ${tally(await calls(reports.key, 12))}`);
  console.log(`Sandbox (10 credits): ${tally(await calls(sandbox.key, 14))}`);
  console.log(`Legacy integration (another network only): ${tally(await calls(legacy.key, 5))}`);
  await must("revoke legacy", `/v1/keys/${legacy.api_key.id}/revoke`, { body: {} });

  // "Last used" reaches D1 with each key's first usage flush, a few seconds after its first use.
  for (const k of [checkout, reports, sandbox]) {
    const deadline = Date.now() + 120_000;
    while (!(await api(`/v1/keys/${k.api_key.id}`)).body.last_used_at) {
      if (Date.now() > deadline) throw new Error(`no last_used_at for ${k.api_key.name} after 120 s`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  // The endpoint's log: every key.created attempt ended, the first failed one retried.
  {
    const deadline = Date.now() + 120_000;
    // Six keys created and one revoked: seven events, each attempt delivered or failed (none queued or sending).
    const settled = (rows) => rows.length >= 7 && rows.every((d) => d.status === "delivered" || d.status === "failed");
    while (!settled((await api(`/v1/webhooks/${hook.webhook.id}/deliveries`)).body.data ?? [])) {
      if (Date.now() > deadline) throw new Error("the webhook's deliveries did not settle within 120 s");
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  mkdirSync(OUT, { recursive: true });
  const saved = [];

  /** Signs in (or not) in a fresh light-theme context of each size and saves the shot of `path` as `${name}-{desktop,phone}.png`. */
  const shoot = async (name, path, token, prepare = async () => {}) => {
    for (const [size, viewport] of Object.entries(SIZES)) {
      const context = await browser.newContext({ viewport, colorScheme: "light", deviceScaleFactor: 1, serviceWorkers: "block" });
      context.setDefaultTimeout(60_000);
      const page = await context.newPage();
      if (token) {
        await page.goto(`${BASE}/dashboard`);
        await page.getByLabel("Token").fill(token);
        await Promise.all([page.waitForURL((url) => url.pathname !== "/dashboard/sign-in", { waitUntil: "load" }), page.getByRole("button", { name: "Sign in", exact: true }).click()]);
      }
      const res = await page.goto(BASE + path);
      if (!res || res.status() !== 200) throw new Error(`${path}: ${res?.status()}`);
      await prepare(page);
      const file = `${OUT}/${name}-${size}.png`;
      await page.screenshot({ path: file, animations: "disabled", caret: "hide" });
      saved.push(file);
      await context.close();
    }
  };

  await shoot("sign-in", "/dashboard", null);
  await shoot("keys", "/dashboard/keys", pat.key);
  await shoot("key", `/dashboard/keys/${checkout.api_key.id}`, pat.key);
  await shoot("webhook", `/dashboard/webhooks/${hook.webhook.id}`, pat.key);
  await shoot("partners", "/dashboard/partners", devVar("ADMIN_TOKEN"));
  console.log(`Saved ${saved.length} screenshots with Chromium ${browser.version()}:\n  ${saved.join("\n  ")}`);
} finally {
  await browser?.close();
  receiver.close();
  stop();
}
