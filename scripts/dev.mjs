#!/usr/bin/env node
// `npm run dev`: apply schema.sql to the local D1, start `wrangler dev` on :8787, then create a
// demo partner and demo keys through the API itself and print them. Ctrl-C stops everything.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const PORT = Number(process.env.PORT ?? 8787);
const BASE = `http://localhost:${PORT}`;
const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };

function devVar(name) {
  const line = readFileSync(new URL("../.dev.vars", import.meta.url), "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${name}=`));
  return line?.slice(name.length + 1).trim();
}

const schema = spawnSync("wrangler", ["d1", "execute", "DB", "--local", "--file", "schema.sql"], { env, encoding: "utf8" });
if (schema.status !== 0) {
  process.stderr.write(schema.stdout + schema.stderr);
  process.exit(schema.status ?? 1);
}
console.log("✔ schema.sql applied to the local D1 database");

const wrangler = spawn("wrangler", ["dev", "--port", String(PORT), ...process.argv.slice(2)], { env, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => wrangler.kill(signal));
wrangler.on("exit", (code) => process.exit(code ?? 0));

async function api(path, init = {}) {
  const res = await fetch(BASE + path, {
    ...init,
    headers: { authorization: `Bearer ${devVar("ADMIN_TOKEN")}`, "content-type": "application/json", ...init.headers },
  });
  return { status: res.status, body: await res.json() };
}

async function waitForServer() {
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(`${BASE}/healthz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`wrangler dev did not answer on ${BASE} within 2 minutes`);
}

async function demoPartner() {
  const created = await api("/v1/partners", {
    method: "POST",
    body: JSON.stringify({
      slug: "demo",
      name: "Demo Partner",
      contact_email: "dev@demo.example",
      website_url: "https://demo.example",
      scopes: ["keys:read", "keys:write", "keys:verify", "users:read", "users:write", "audit:read", "demo:read"],
      resources: ["slots"],
      allowed_origins: [BASE, `http://127.0.0.1:${PORT}`],
    }),
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

try {
  await waitForServer();
  const partner = await demoPartner();
  const secret = await api(`/v1/partners/${partner.id}/keys`, {
    method: "POST",
    body: JSON.stringify({ name: "Demo server key", type: "secret" }),
  });
  const publishable = await api(`/v1/partners/${partner.id}/keys`, {
    method: "POST",
    body: JSON.stringify({ name: "Demo browser key", type: "publishable", allowed_origins: [BASE] }),
  });
  console.log(`
  Keyward is running on ${BASE}  (docs: ${BASE}/docs)

  operator token   ${devVar("ADMIN_TOKEN")}
  demo partner     ${partner.id} (slug demo)
  secret key       ${secret.body.key}
  publishable key  ${publishable.body.key}

  try:  curl -H "Authorization: Bearer ${secret.body.key}" ${BASE}/v1/me/key
`);
} catch (err) {
  console.error(`demo setup failed: ${err.message}`);
}
