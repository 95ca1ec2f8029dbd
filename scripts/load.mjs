#!/usr/bin/env node
// `npm run load`: holds a mixed workload (introspection, verify, key management, an over-limit
// key) on a fresh local `wrangler dev` for LOAD_SECONDS (default 60) with LOAD_CONCURRENCY
// closed-loop clients (default 32: as fast as this machine answers), then reports requests,
// errors, latency, and checks that every created key, audit event and counter is consistent.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { applySchema, operatorClient, startWrangler, waitForHealthy, wranglerEnv } from "./lib/local-server.mjs";

const PORT = Number(process.env.LOAD_PORT ?? 8789);
const BASE = `http://127.0.0.1:${PORT}`;
const SECONDS = Number(process.env.LOAD_SECONDS ?? 60);
const CONCURRENCY = Number(process.env.LOAD_CONCURRENCY ?? 32);
const STATE = ".wrangler/load-state";
const CREDITS = 1_000_000;
const TIERS = { standard: { limit: 1000, window_seconds: 60 }, load: { limit: 1_000_000_000, window_seconds: 60 }, tiny: { limit: 5, window_seconds: 60 } };

rmSync(STATE, { recursive: true, force: true });
applySchema(STATE);
const server = startWrangler(PORT, {
  stdio: "ignore",
  extraArgs: ["--ip", "127.0.0.1", "--persist-to", STATE],
  vars: { RATE_LIMIT_TIERS: JSON.stringify(TIERS), REQUEST_LOG: "errors", SERVER_TIMING: "off" },
});
const stop = () => server.pid && process.kill(-server.pid, "SIGTERM");
process.on("exit", stop);
process.on("SIGINT", () => process.exit(130));
await waitForHealthy(BASE);

const api = operatorClient(BASE);
const partner = (await api("/v1/partners", { body: { slug: "load", name: "Load", contact_email: "l@load.example", website_url: "https://load.example", scopes: ["orders:read"] } })).body;
const newKey = async (body) => (await api(`/v1/partners/${partner.id}/keys`, { body: { name: "load", type: "secret", rate_limit_tier: "load", ...body } })).body;
const readers = await Promise.all(Array.from({ length: 20 }, () => newKey({})));
const payers = await Promise.all(Array.from({ length: 5 }, () => newKey({ credits_remaining: CREDITS })));
const limited = await newKey({ rate_limit_tier: "tiny" });
const setupCreates = readers.length + payers.length + 1;

const pick = (list) => list[Math.floor(Math.random() * list.length)];
const spent = new Map(payers.map((k) => [k.api_key.id, 0]));
const created = [];
const patched = new Set();
const revoked = new Set();
let patches = 0;

/** Each operation: a weight, what it sends, and which statuses are intended. */
const OPERATIONS = [
  { name: "GET /v1/me/key", weight: 50, ok: [200], run: () => api("/v1/me/key", { auth: pick(readers).key }) },
  {
    name: "GET /v1/me/key (credits)", weight: 10, ok: [200],
    run: async () => {
      const k = pick(payers);
      const res = await api("/v1/me/key", { auth: k.key });
      if (res.status === 200) spent.set(k.api_key.id, spent.get(k.api_key.id) + 1);
      return res;
    },
  },
  { name: "POST /v1/keys/verify", weight: 15, ok: [200], run: () => api("/v1/keys/verify", { body: { key: pick(readers).key, required_scopes: ["orders:read"] } }) },
  {
    name: "POST /v1/partners/{id}/keys", weight: 5, ok: [201],
    run: async () => {
      const res = await api(`/v1/partners/${partner.id}/keys`, { body: { name: "churn", type: "secret", scopes: [] } });
      if (res.status === 201) created.push(res.body.api_key.id);
      return res;
    },
  },
  {
    name: "PATCH /v1/keys/{id}", weight: 5, ok: [200, 409],
    run: async () => {
      const id = pick(created.length ? created : [readers[0].api_key.id]);
      const res = await api(`/v1/keys/${id}`, { method: "PATCH", body: { description: `t${Date.now()}` } });
      if (res.status === 200) (patches++, patched.add(id));
      return res;
    },
  },
  {
    name: "POST /v1/keys/{id}/revoke", weight: 3, ok: [200],
    run: async () => {
      if (!created.length) return api("/healthz");
      const id = pick(created);
      const res = await api(`/v1/keys/${id}/revoke`, { method: "POST" });
      if (res.status === 200) revoked.add(id);
      return res;
    },
  },
  { name: "GET /v1/partners/{id}/keys", weight: 4, ok: [200], run: () => api(`/v1/partners/${partner.id}/keys?limit=50`) },
  { name: "GET /v1/me/key (over limit)", weight: 8, ok: [200, 429], run: () => api("/v1/me/key", { auth: limited.key }) },
];
const totalWeight = OPERATIONS.reduce((s, o) => s + o.weight, 0);
const chooseOperation = () => {
  let r = Math.random() * totalWeight;
  for (const op of OPERATIONS) if ((r -= op.weight) < 0) return op;
  return OPERATIONS[0];
};

const stats = new Map(OPERATIONS.map((o) => [o.name, { latencies: [], statuses: new Map(), errors: 0 }]));
const deadline = Date.now() + SECONDS * 1000;
let intended429 = 0;
let unexpected = [];
async function client() {
  while (Date.now() < deadline) {
    const op = chooseOperation();
    const s = stats.get(op.name);
    const started = performance.now();
    let status;
    try {
      status = (await op.run()).status;
    } catch (err) {
      status = `network:${err.cause?.code ?? err.message}`;
    }
    s.latencies.push(performance.now() - started);
    s.statuses.set(status, (s.statuses.get(status) ?? 0) + 1);
    if (status === 429 && op.ok.includes(429)) intended429++;
    else if (!op.ok.includes(status)) (s.errors++, unexpected.length < 10 && unexpected.push(`${op.name} → ${status}`));
  }
}
console.log(`holding the mixed workload for ${SECONDS} s with ${CONCURRENCY} clients on ${BASE} …`);
const started = Date.now();
await Promise.all(Array.from({ length: CONCURRENCY }, client));
const elapsed = (Date.now() - started) / 1000;

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))].toFixed(1) : "-");
const all = [...stats.values()].flatMap((s) => s.latencies).sort((a, b) => a - b);
const errors = [...stats.values()].reduce((n, s) => n + s.errors, 0);
console.log(`\n| operation | requests | p50 ms | p99 ms | statuses | errors |`);
console.log(`|---|---:|---:|---:|---|---:|`);
for (const [name, s] of stats) {
  const sorted = s.latencies.sort((a, b) => a - b);
  const statuses = [...s.statuses].map(([k, v]) => `${k}×${v}`).join(" ");
  console.log(`| ${name} | ${sorted.length} | ${pct(sorted, 50)} | ${pct(sorted, 99)} | ${statuses} | ${s.errors} |`);
}
console.log(`| **all** | ${all.length} | ${pct(all, 50)} | ${pct(all, 99)} | ${Math.round(all.length / elapsed)} req/s | ${errors} |`);
console.log(`\nintended 429s: ${intended429}; errors (anything else unexpected, 5xx included): ${errors}`);
if (unexpected.length) console.log(`first unexpected: ${unexpected.join("; ")}`);

// Consistency, read back from D1 and from the keys' Durable Objects.
function d1(sql) {
  const out = spawnSync("wrangler", ["d1", "execute", "DB", "--local", "--persist-to", STATE, "--json", "--command", sql], { env: wranglerEnv, encoding: "utf8" });
  if (out.status !== 0) throw new Error(out.stderr);
  return JSON.parse(out.stdout)[0].results;
}
const checks = [];
const check = (name, ok, detail) => checks.push({ name, ok, detail });

const keyRows = d1(`SELECT id, revoked_at FROM api_keys WHERE partner_id = '${partner.id}'`);
const ids = new Set(keyRows.map((r) => r.id));
check("every created key is in D1", created.every((id) => ids.has(id)) && keyRows.length === setupCreates + created.length, `${keyRows.length} rows for ${setupCreates + created.length} creations`);
const revokedInD1 = new Set(keyRows.filter((r) => r.revoked_at).map((r) => r.id));
check("every revoke is in D1", [...revoked].every((id) => revokedInD1.has(id)) && revokedInD1.size === revoked.size, `${revokedInD1.size} revoked rows, ${revoked.size} revokes answered 200`);
const events = Object.fromEntries(d1(`SELECT action, COUNT(*) AS n FROM audit_events WHERE partner_id = '${partner.id}' GROUP BY action`).map((r) => [r.action, r.n]));
check("one key.created event per creation", events["key.created"] === setupCreates + created.length, `${events["key.created"]} events`);
check("one key.updated event per successful PATCH", (events["key.updated"] ?? 0) === patches, `${events["key.updated"] ?? 0} events, ${patches} PATCHes answered 200`);
check("one key.revoked event per revocation", (events["key.revoked"] ?? 0) === revoked.size, `${events["key.revoked"] ?? 0} events`);
let creditsOk = true;
const creditDetail = [];
for (const k of payers) {
  const live = (await api("/v1/keys/verify", { body: { key: k.key, cost: 0 } })).body.credits_remaining;
  const expected = CREDITS - spent.get(k.api_key.id);
  creditsOk &&= live === expected;
  creditDetail.push(`${live}=${expected}`);
}
check("credit balances equal the requests admitted", creditsOk, creditDetail.join(" "));

console.log("\n| consistency check | result | detail |\n|---|---|---|");
for (const c of checks) console.log(`| ${c.name} | ${c.ok ? "ok" : "FAILED"} | ${c.detail} |`);
stop();
process.exit(errors === 0 && checks.every((c) => c.ok) ? 0 : 1);
