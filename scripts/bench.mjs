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
  return { base, newKey };
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
process.stdout.write(`creating ${COLD_KEYS + SAMPLES} keys for the cold scenario… `);
const coldKeys = [];
for (let i = 0; i < COLD_KEYS + SAMPLES; i++) coldKeys.push(await main.newKey("bench"));
console.log("done");
// Same shape, tag computed under another pepper: a forgery.
const forgedKey = warmKey.slice(0, -6) + (warmKey.endsWith("AAAAAA") ? "BBBBBB" : "AAAAAA");

// Warm up the isolate and the JIT before measuring anything.
await run({ url: `${main.base}/v1/me/key`, headers: auth(warmKey), duration: 3 });
const healthz = await scenario("GET /healthz", main.base, null, { url: `${main.base}/healthz` }, repeat(SAMPLES, { path: "/healthz" }), [200]);
await scenario("GET /v1/me/key (warm)", main.base, healthz, { url: `${main.base}/v1/me/key`, headers: auth(warmKey) }, repeat(SAMPLES, { headers: auth(warmKey) }), [200]);
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

console.log(`\n${new Date().toISOString().slice(0, 10)} · ${CONNECTIONS} connections · ${DURATION} s per scenario · wrangler dev on 127.0.0.1\n`);
console.log("| scenario | req/s | p50 ms | p99 ms | storage calls per request | ratio to /healthz | statuses |");
console.log("|---|---:|---:|---:|---|---:|---|");
for (const r of rows) {
  console.log(`| ${r.name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.storage} | ${r.ratio.toFixed(2)} | ${r.statuses}${r.ok ? "" : " ⚠"} |`);
}
process.exit(0);
