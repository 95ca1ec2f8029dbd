#!/usr/bin/env node
// `npm run dev`: apply schema.sql to the local D1, start `wrangler dev` on :8787, then create a
// demo partner and demo keys through the API itself and print them. Ctrl-C stops everything.
import { applySchema, devVar, operatorClient, startWrangler, waitForHealthy } from "./lib/local-server.mjs";

const PORT = Number(process.env.PORT ?? 8787);
const BASE = `http://localhost:${PORT}`;

applySchema();
console.log("✔ schema.sql applied to the local D1 database");

const wrangler = startWrangler(PORT, { extraArgs: process.argv.slice(2) });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => wrangler.kill(signal));
wrangler.on("exit", (code) => process.exit(code ?? 0));

const api = operatorClient(BASE);

async function demoPartner() {
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

try {
  await waitForHealthy(BASE);
  const partner = await demoPartner();
  const secret = await api(`/v1/partners/${partner.id}/keys`, { body: { name: "Demo server key", type: "secret" } });
  const publishable = await api(`/v1/partners/${partner.id}/keys`, {
    body: { name: "Demo browser key", type: "publishable", allowed_origins: [BASE] },
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
