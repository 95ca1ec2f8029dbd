#!/usr/bin/env node
// `npm run bench`: drives a local `wrangler dev` with autocannon over loopback and prints one row
// per scenario: throughput, latency, storage calls per request (from Server-Timing) and the ratio
// to GET /healthz measured on the same server in the same run. Starts its own server on
// BENCH_PORT (default 8788, fresh local state, benchmark tiers) or reuses one answering there;
// the opt-in lease mode is measured on a second server (BENCH_PORT + 2) with GUARD_LEASE_MS=1000.
import { rmSync } from "node:fs";
import autocannon from "autocannon";
import { applySchema, isHealthy, operatorClient, startWrangler, waitForHealthy } from "./lib/local-server.mjs";

const PORT = Number(process.env.BENCH_PORT ?? 8788);
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const COLD_KEYS = Number(process.env.BENCH_COLD_KEYS ?? 600);
// BENCH_ONLY=pool: only /healthz, the warm key and the pooled partners (DESIGN §10), for a quick run.
const ONLY_POOL = process.env.BENCH_ONLY === "pool";
const POOL_KEYS = 8;
const SAMPLES = 20;

const TIERS = {
  standard: { limit: 1000, window_seconds: 60 },
  premium: { limit: 20000, window_seconds: 60 },
  bench: { limit: 1_000_000_000, window_seconds: 60 },
  tiny: { limit: 5, window_seconds: 60 },
};

const servers = [];
process.on("exit", () => servers.forEach((s) => s.pid && process.kill(-s.pid, "SIGTERM")));
process.on("SIGINT", () => process.exit(130));

/** A server with fresh local state (or the one already on `port`), a bench partner and a key factory. */
async function benchServer(port, extraVars = {}) {
  const base = `http://127.0.0.1:${port}`;
  if (await isHealthy(base)) {
    console.log(`reusing the server on ${base} (it must have been started with the bench and tiny tiers)`);
  } else {
    const state = `.wrangler/bench-state-${port}`;
    rmSync(state, { recursive: true, force: true });
    applySchema(state);
    const vars = {
      RATE_LIMIT_TIERS: JSON.stringify(TIERS),
      SERVER_TIMING: "on",
      REQUEST_LOG: process.env.BENCH_REQUEST_LOG ?? "all",
      ...extraVars,
    };
    servers.push(startWrangler(port, { vars, stdio: "ignore", extraArgs: ["--ip", "127.0.0.1", "--persist-to", state] }));
    await waitForHealthy(base);
  }
  const api = operatorClient(base);
  const created = await api("/v1/partners", {
    body: { slug: `bench-${Date.now()}`, name: "Bench", contact_email: "b@bench.example", website_url: "https://bench.example" },
  });
  if (created.status !== 201) throw new Error(`could not create the bench partner: ${created.status} ${JSON.stringify(created.body)}`);
  const newKey = async (tier) =>
    (await api(`/v1/partners/${created.body.id}/keys`, { body: { name: "bench", type: "secret", scopes: [], rate_limit_tier: tier } })).body.key;
  /** `count` keys of a new partner created with `partner` (e.g. `{rate_limit_scope: "partner"}`). */
  const partnerKeys = async (partner, count) => {
    const p = await api("/v1/partners", {
      body: { slug: `bench-p-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`, name: "Bench pool", contact_email: "b@bench.example", website_url: "https://bench.example", rate_limit_tier: "bench", ...partner },
    });
    if (p.status !== 201) throw new Error(`could not create a bench partner: ${p.status} ${JSON.stringify(p.body)}`);
    const keys = [];
    for (let i = 0; i < count; i++) keys.push((await api(`/v1/partners/${p.body.id}/keys`, { body: { name: "bench", type: "secret", scopes: [] } })).body.key);
    return keys;
  };
  return { base, newKey, partnerKeys };
}

/** Mean storage calls per request, read from Server-Timing `desc` values. */
async function storageCalls(base, requests) {
  const totals = { d1: 0, kv: 0, do: 0 };
  for (const r of requests) {
    const res = await fetch(`${base}${r.path ?? "/v1/me/key"}`, { headers: r.headers });
    await res.arrayBuffer();
    for (const [, name, n] of (res.headers.get("server-timing") ?? "").matchAll(/(d1|kv|do);dur=[\d.]+;desc=(\d+)/g)) totals[name] += Number(n);
  }
  const per = (n) => +(n / requests.length).toFixed(2);
  return `d1 ${per(totals.d1)} · kv ${per(totals.kv)} · do ${per(totals.do)}`;
}

function run(options) {
  return new Promise((resolve, reject) => {
    const settings = { connections: CONNECTIONS, ...options };
    if (settings.amount === undefined) settings.duration ??= DURATION;
    autocannon(settings, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

const auth = (key) => ({ authorization: `Bearer ${key}` });
const repeat = (n, item) => Array.from({ length: n }, () => item);
const rows = [];

/** @param expected statuses the scenario may produce, e.g. [200, 429] for an over-limit key's first few 200s */
async function scenario(name, base, baseline, options, sample, expected) {
  const result = await run(options);
  const stats = result.statusCodeStats ?? {};
  rows.push({
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    storage: await storageCalls(base, sample),
    statuses: Object.entries(stats).map(([s, v]) => `${s}×${v.count}`).join(" "),
    ok: Object.keys(stats).every((s) => expected.includes(Number(s))) && result.errors === 0,
    ratio: baseline === null ? 1 : result.requests.average / baseline,
  });
  return result.requests.average;
}

// The default server: strict per-request semantics.
const main = await benchServer(PORT);
const warmKey = await main.newKey("bench");
const limitedKey = await main.newKey("tiny");
const coldKeys = [];
if (!ONLY_POOL) {
  process.stdout.write(`creating ${COLD_KEYS + SAMPLES} keys for the cold scenario… `);
  for (let i = 0; i < COLD_KEYS + SAMPLES; i++) coldKeys.push(await main.newKey("bench"));
  console.log("done");
}
// Same shape, tag computed under another pepper: a forgery.
const forgedKey = warmKey.slice(0, -6) + (warmKey.endsWith("AAAAAA") ? "BBBBBB" : "AAAAAA");

// Warm up the isolate and the JIT before measuring anything.
await run({ url: `${main.base}/v1/me/key`, headers: auth(warmKey), duration: 3 });
const healthz = await scenario("GET /healthz", main.base, null, { url: `${main.base}/healthz` }, repeat(SAMPLES, { path: "/healthz" }), [200]);
await scenario("GET /v1/me/key (warm)", main.base, healthz, { url: `${main.base}/v1/me/key`, headers: auth(warmKey) }, repeat(SAMPLES, { headers: auth(warmKey) }), [200]);

/** `keys` round-robin over the connections: one partner's traffic through several keys. */
async function spread(name, keys) {
  let turn = 0;
  const options = { url: `${main.base}/v1/me/key`, requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, ...auth(keys[turn++ % keys.length]) } }) }] };
  await run({ ...options, duration: 2 });
  await scenario(name, main.base, healthz, options, keys.flatMap((key) => repeat(3, { headers: auth(key) })), [200]);
}
// One hot partner (DESIGN §10): its keys' own objects, then everything meeting in the partner's pool.
await spread(`GET /v1/me/key (${POOL_KEYS} keys of one partner, key scope)`, await main.partnerKeys({}, POOL_KEYS));
await spread(`GET /v1/me/key (${POOL_KEYS} keys of one partner, partner scope)`, await main.partnerKeys({ rate_limit_scope: "partner" }, POOL_KEYS));
await spread(`GET /v1/me/key (${POOL_KEYS} keys sharing partner credits)`, await main.partnerKeys({ credits_remaining: 1_000_000_000 }, POOL_KEYS));
await spread(`GET /v1/me/key (1 key, partner scope)`, await main.partnerKeys({ rate_limit_scope: "partner" }, 1));
if (ONLY_POOL) {
  printRows();
  process.exit(0);
}

let next = 0;
await scenario(
  "GET /v1/me/key (first request of a cold key)",
  main.base,
  healthz,
  {
    url: `${main.base}/v1/me/key`,
    amount: COLD_KEYS,
    connections: Math.min(CONNECTIONS, 8),
    requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, ...auth(coldKeys[next++ % COLD_KEYS]) } }) }],
  },
  coldKeys.slice(COLD_KEYS).map((key) => ({ headers: auth(key) })),
  [200],
);
await scenario("GET /v1/me/key (forged key)", main.base, healthz, { url: `${main.base}/v1/me/key`, headers: auth(forgedKey) }, repeat(SAMPLES, { headers: auth(forgedKey) }), [401]);
await scenario("GET /v1/me/key (over-limit key)", main.base, healthz, { url: `${main.base}/v1/me/key`, headers: auth(limitedKey) }, repeat(SAMPLES, { headers: auth(limitedKey) }), [200, 429]);

// The opt-in lease mode, on its own server, against that server's own /healthz.
const leasing = await benchServer(PORT + 2, { GUARD_LEASE_MS: "1000" });
const leasedKey = await leasing.newKey("bench");
await run({ url: `${leasing.base}/v1/me/key`, headers: auth(leasedKey), duration: 3 });
const leasingHealthz = await scenario("GET /healthz (lease server)", leasing.base, null, { url: `${leasing.base}/healthz` }, repeat(SAMPLES, { path: "/healthz" }), [200]);
await scenario(
  "GET /v1/me/key (warm, GUARD_LEASE_MS=1000)",
  leasing.base,
  leasingHealthz,
  { url: `${leasing.base}/v1/me/key`, headers: auth(leasedKey) },
  repeat(SAMPLES * 5, { headers: auth(leasedKey) }),
  [200],
);

printRows();
process.exit(0);

function printRows() {
  console.log(`\n${new Date().toISOString().slice(0, 10)} · ${CONNECTIONS} connections · ${DURATION} s per scenario · wrangler dev on 127.0.0.1\n`);
  console.log("| scenario | req/s | p50 ms | p99 ms | storage calls per request | ratio to /healthz | statuses |");
  console.log("|---|---:|---:|---:|---|---:|---|");
  for (const r of rows) {
    console.log(`| ${r.name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.storage} | ${r.ratio.toFixed(2)} | ${r.statuses}${r.ok ? "" : " ⚠"} |`);
  }
}
