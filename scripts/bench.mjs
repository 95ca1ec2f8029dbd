#!/usr/bin/env node
// `npm run bench`: drives a local `wrangler dev` with autocannon over loopback and prints one row
// per scenario: throughput, latency, storage calls per request (from Server-Timing) and the ratio
// to GET /healthz measured in the same run. Starts its own server on BENCH_PORT (default 8788)
// with a benchmark tier, or reuses one already answering there.
import { rmSync } from "node:fs";
import autocannon from "autocannon";
import { applySchema, isHealthy, operatorClient, startWrangler, waitForHealthy } from "./lib/local-server.mjs";

const PORT = Number(process.env.BENCH_PORT ?? 8788);
const BASE = `http://127.0.0.1:${PORT}`;
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

// Its own local state, so every run starts from the current schema and nothing else.
const STATE = ".wrangler/bench-state";
let server;
if (await isHealthy(BASE)) {
  console.log(`reusing the server on ${BASE} (it must have been started with the bench and tiny tiers)`);
} else {
  rmSync(STATE, { recursive: true, force: true });
  applySchema(STATE);
  server = startWrangler(PORT, {
    vars: {
      RATE_LIMIT_TIERS: JSON.stringify(TIERS),
      SERVER_TIMING: "on",
      REQUEST_LOG: process.env.BENCH_REQUEST_LOG ?? "all",
      // Every client here is 127.0.0.1: the forged-key row measures that path, not the failed-auth throttle.
      AUTH_FAILURE_LIMIT: "1000000/60",
    },
    stdio: "ignore",
    extraArgs: ["--ip", "127.0.0.1", "--persist-to", STATE],
  });
  await waitForHealthy(BASE);
}
const stop = () => server && process.kill(-server.pid, "SIGTERM");
process.on("exit", stop);
process.on("SIGINT", () => process.exit(130));

const api = operatorClient(BASE);
const created = await api("/v1/partners", {
  body: { slug: `bench-${Date.now()}`, name: "Bench", contact_email: "b@bench.example", website_url: "https://bench.example" },
});
if (created.status !== 201) throw new Error(`could not create the bench partner: ${created.status} ${JSON.stringify(created.body)}`);
const partner = created.body;
const newKey = async (tier) => (await api(`/v1/partners/${partner.id}/keys`, { body: { name: "bench", type: "secret", scopes: [], rate_limit_tier: tier } })).body.key;

const warmKey = await newKey("bench");
const limitedKey = await newKey("tiny");
process.stdout.write(`creating ${COLD_KEYS + SAMPLES} keys for the cold scenario… `);
const coldKeys = [];
for (let i = 0; i < COLD_KEYS + SAMPLES; i++) coldKeys.push(await newKey("bench"));
console.log("done");
// Same shape, tag computed under another pepper: a forgery.
const forgedKey = warmKey.slice(0, -6) + (warmKey.endsWith("AAAAAA") ? "BBBBBB" : "AAAAAA");

/** Mean storage calls per request, read from Server-Timing `desc` values. */
async function storageCalls(requests) {
  const totals = { d1: 0, kv: 0, do: 0 };
  for (const headers of requests) {
    const res = await fetch(`${BASE}${headers.path ?? "/v1/me/key"}`, { headers: headers.headers });
    await res.arrayBuffer();
    for (const [, name, n] of (res.headers.get("server-timing") ?? "").matchAll(/(d1|kv|do);dur=[\d.]+;desc=(\d+)/g)) {
      totals[name] += Number(n);
    }
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
const rows = [];
/** @param expected statuses the scenario should produce, e.g. [429] (the first few 200s of an over-limit key are allowed too) */
async function scenario(name, options, sample, expected) {
  const result = await run(options);
  const statuses = Object.entries(result.statusCodeStats ?? {}).map(([s, v]) => `${s}×${v.count}`).join(" ");
  rows.push({
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    storage: await storageCalls(sample),
    statuses,
    ok: Object.keys(result.statusCodeStats ?? {}).every((s) => expected.includes(Number(s))) && result.errors === 0,
  });
}

const repeat = (n, item) => Array.from({ length: n }, () => item);
// Warm up the isolate and the JIT before measuring anything.
await run({ url: `${BASE}/v1/me/key`, headers: auth(warmKey), duration: 3 });

await scenario("GET /healthz", { url: `${BASE}/healthz` }, repeat(SAMPLES, { path: "/healthz" }), [200]);
await scenario("GET /v1/me/key (warm)", { url: `${BASE}/v1/me/key`, headers: auth(warmKey) }, repeat(SAMPLES, { headers: auth(warmKey) }), [200]);
let next = 0;
await scenario(
  "GET /v1/me/key (first request of a cold key)",
  {
    url: `${BASE}/v1/me/key`,
    amount: COLD_KEYS,
    connections: Math.min(CONNECTIONS, 8),
    requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, ...auth(coldKeys[next++ % COLD_KEYS]) } }) }],
  },
  coldKeys.slice(COLD_KEYS).map((key) => ({ headers: auth(key) })),
  [200],
);
await scenario("GET /v1/me/key (forged key)", { url: `${BASE}/v1/me/key`, headers: auth(forgedKey) }, repeat(SAMPLES, { headers: auth(forgedKey) }), [401]);
await scenario("GET /v1/me/key (over-limit key)", { url: `${BASE}/v1/me/key`, headers: auth(limitedKey) }, repeat(SAMPLES, { headers: auth(limitedKey) }), [200, 429]);

const base = rows[0].rps;
console.log(`\n${new Date().toISOString().slice(0, 10)} · ${CONNECTIONS} connections · ${DURATION} s per scenario · wrangler dev on ${BASE}\n`);
console.log("| scenario | req/s | p50 ms | p99 ms | storage calls per request | ratio to /healthz | statuses |");
console.log("|---|---:|---:|---:|---|---:|---|");
for (const r of rows) {
  console.log(`| ${r.name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.storage} | ${(r.rps / base).toFixed(2)} | ${r.statuses}${r.ok ? "" : " ⚠"} |`);
}
stop();
process.exit(0);
