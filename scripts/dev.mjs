#!/usr/bin/env node
// `npm run dev`: bring the local D1 up to date with its migrations, start `wrangler dev` on :8787,
// then make sure a demo partner, two demo keys, and a demo user with a personal access token (for
// the dashboard's partner portal) exist, reusing the ones from the last start when they still
// work, and print them. Ctrl-C stops everything.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { applyMigrations, devVar, operatorClient, persistDir, startWrangler, waitForHealthy } from "./lib/local-server.mjs";

const PORT = Number(process.env.PORT ?? 8787);
const BASE = `http://localhost:${PORT}`;
const extraArgs = process.argv.slice(2);
// `npm run dev -- --persist-to DIR` moves all local state; the migrations and the demo keys follow it.
const customState = extraArgs.some((a) => a === "--persist-to" || a.startsWith("--persist-to="));
const STATE = persistDir(extraArgs);
// The demo keys' full strings: the database keeps only their HMAC, so this local, gitignored file
// (next to the state it belongs to; wiping the state wipes it too) is the only place to read them back.
const DEMO_FILE = join(STATE, "keyward-demo.json");

const applied = applyMigrations(customState ? STATE : undefined);
console.log(
  applied.length
    ? `✔ D1 migrations applied to the local database: ${applied.join(", ")}`
    : "✔ local D1 database up to date (no migrations to apply)",
);

// --test-scheduled: `curl "localhost:8787/__scheduled?cron=*+*+*+*+*"` runs the Cron Trigger (the outbox sweep).
const wrangler = startWrangler(PORT, { extraArgs: ["--test-scheduled", ...extraArgs] });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => wrangler.kill(signal));
wrangler.on("exit", (code) => process.exit(code ?? 0));

const api = operatorClient(BASE);

function readDemoFile() {
  try {
    return JSON.parse(readFileSync(DEMO_FILE, "utf8"));
  } catch {
    return {};
  }
}

async function demoPartner(savedId) {
  if (savedId) {
    const saved = await api(`/v1/partners/${encodeURIComponent(savedId)}`);
    if (saved.status === 200 && saved.body.slug === "demo") return saved.body;
  }
  const created = await api("/v1/partners", {
    body: {
      slug: "demo",
      name: "Demo Partner",
      contact_email: "dev@demo.example",
      website_url: "https://demo.example",
      scopes: ["keys:read", "keys:write", "keys:verify", "users:read", "users:write", "audit:read", "demo:read"],
      resources: ["slots"],
      allowed_origins: [BASE, `http://127.0.0.1:${PORT}`],
    },
  });
  if (created.status === 201) return created.body;
  for (let cursor = ""; ; ) {
    const page = await api(`/v1/partners?limit=100${cursor ? `&cursor=${cursor}` : ""}`);
    const demo = page.body.data.find((p) => p.slug === "demo");
    if (demo) return demo;
    if (!page.body.next_cursor) throw new Error("could not create or find the demo partner");
    cursor = page.body.next_cursor;
  }
}

/** The saved key if it still authenticates as a key of `partner` (same server, same pepper, not revoked or expired). */
async function stillWorks(key, partner) {
  if (typeof key !== "string" || !key) return false;
  const me = await api("/v1/me/key", { auth: key });
  return me.status === 200 && me.body.partner_id === partner.id && me.body.status === "active";
}

async function demoKey(saved, partner, body) {
  if (await stillWorks(saved, partner)) return { key: saved, reused: true };
  const created = await api(`/v1/partners/${partner.id}/keys`, { body });
  if (created.status !== 201) throw new Error(`creating the ${body.name} failed: ${created.status} ${JSON.stringify(created.body)}`);
  return { key: created.body.key, reused: false };
}

/** The demo user of the portal: the one saved, else the partner's user with the demo email, else a new one. */
async function demoUser(savedId, partner) {
  if (savedId) {
    const saved = await api(`/v1/users/${encodeURIComponent(savedId)}`);
    if (saved.status === 200 && saved.body.partner_id === partner.id) return saved.body;
  }
  const email = "demo@demo.example";
  const created = await api(`/v1/partners/${partner.id}/users`, {
    body: { first_name: "Demo", last_name: "User", email, role: "ADMIN", permissions: partner.scopes },
  });
  if (created.status === 201) return created.body;
  for (let cursor = ""; ; ) {
    const page = await api(`/v1/partners/${partner.id}/users?limit=100${cursor ? `&cursor=${cursor}` : ""}`);
    const user = page.body.data.find((u) => u.email === email);
    if (user) return user;
    if (!page.body.next_cursor) throw new Error(`could not create or find the demo user: ${created.status} ${JSON.stringify(created.body)}`);
    cursor = page.body.next_cursor;
  }
}

try {
  await waitForHealthy(BASE);
  const saved = readDemoFile();
  const partner = await demoPartner(saved.partner_id);
  const secret = await demoKey(saved.secret_key, partner, { name: "Demo server key", type: "secret" });
  const publishable = await demoKey(saved.publishable_key, partner, {
    name: "Demo browser key",
    type: "publishable",
    allowed_origins: [BASE],
  });
  // The dashboard's partner portal signs in with a personal access token bound to a user.
  const user = await demoUser(saved.user_id, partner);
  const personal = await demoKey(saved.personal_token, partner, {
    name: "Demo personal token",
    type: "personal",
    user_id: user.id,
    scopes: partner.scopes,
  });
  mkdirSync(dirname(DEMO_FILE), { recursive: true });
  writeFileSync(
    DEMO_FILE,
    `${JSON.stringify(
      { partner_id: partner.id, secret_key: secret.key, publishable_key: publishable.key, user_id: user.id, personal_token: personal.key },
      null,
      2,
    )}\n`,
    { mode: 0o600 },
  );
  const note = (k) => (k.reused ? "(reused)" : "(new)");
  console.log(`
  Keyward is running on ${BASE}  (docs: ${BASE}/docs)

  operator token   ${devVar("ADMIN_TOKEN")}
  demo partner     ${partner.id} (slug demo)
  secret key       ${secret.key}  ${note(secret)}
  publishable key  ${publishable.key}  ${note(publishable)}
  personal token   ${personal.key}  ${note(personal)}  (user ${user.name} <${user.email}>)

  dashboard        ${BASE}/dashboard
                   operator console: sign in with the operator token above (ADMIN_TOKEN in .dev.vars)
                   demo partner's portal: sign in with the personal token above

  try:  curl -H "Authorization: Bearer ${secret.key}" ${BASE}/v1/me/key
  (the demo keys are kept in ${DEMO_FILE} and reused by the next start while they still work)
`);
} catch (err) {
  console.error(`demo setup failed: ${err.message}`);
}
