#!/usr/bin/env node
// `npm run bench:leases`: what the lease length costs and buys (issue 15). For each
// GUARD_LEASE_MS (default 0, 250, 1000) on its own local `wrangler dev`: GET /v1/me/key on one busy
// key against GET /healthz of the same server, and the latency of a mutation of that key (PATCH
// of its name) while the key is busy — the revocation barrier makes a mutation wait until every
// lease granted under the old state has expired — and while it is quiet. Prints a markdown table.
import { rmSync } from "node:fs";
import autocannon from "autocannon";
import { applySchema, operatorClient, startWrangler, waitForHealthy } from "./lib/local-server.mjs";

const LENGTHS = (process.env.LEASE_LENGTHS ?? "0,250,1000").split(",").map(Number);
const PORT = Number(process.env.BENCH_PORT ?? 8794);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const MUTATIONS = Number(process.env.LEASE_MUTATIONS ?? 15);
const TIERS = { bench: { limit: 1_000_000_000, window_seconds: 60 } };

const children = [];
const stop = (child) => {
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // Already gone.
  }
};
process.on("exit", () => children.forEach(stop));
process.on("SIGINT", () => process.exit(130));

const run = (options) => new Promise((resolve, reject) => autocannon({ connections: CONNECTIONS, duration: SECONDS, ...options }, (err, r) => (err ? reject(err) : resolve(r))));
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/**
 * `MUTATIONS` sequential PATCHes of the key, a second apart (plus jitter, so they fall anywhere in
 * a lease's life), so the key's traffic is back in its steady state before each: latencies in ms, sorted.
 */
async function mutationLatencies(api, keyId) {
  const times = [];
  for (let i = 0; i < MUTATIONS; i++) {
    const started = performance.now();
    const res = await api(`/v1/keys/${keyId}`, { method: "PATCH", body: { name: `bench ${i}` } });
    times.push(performance.now() - started);
    if (res.status !== 200) throw new Error(`PATCH answered ${res.status}`);
    await new Promise((r) => setTimeout(r, 1_000 + Math.random() * 250));
  }
  return times.sort((a, b) => a - b);
}

async function measure(leaseMs) {
  const port = PORT + LENGTHS.indexOf(leaseMs) * 2;
  const base = `http://127.0.0.1:${port}`;
  const state = `.wrangler/lease-bench-${port}`;
  rmSync(state, { recursive: true, force: true });
  applySchema(state);
  const vars = { RATE_LIMIT_TIERS: JSON.stringify(TIERS), REQUEST_LOG: "all", GUARD_LEASE_MS: String(leaseMs) };
  const child = startWrangler(port, { vars, stdio: "ignore", extraArgs: ["--ip", "127.0.0.1", "--persist-to", state] });
  children.push(child);
  await waitForHealthy(base);
  const api = operatorClient(base);
  const partner = await api("/v1/partners", { body: { slug: `lease-${leaseMs}-${Date.now()}`, name: "Lease bench", contact_email: "b@bench.example", website_url: "https://bench.example", rate_limit_tier: "bench" } });
  const created = await api(`/v1/partners/${partner.body.id}/keys`, { body: { name: "bench", type: "secret", scopes: [] } });
  const { key, api_key: apiKey } = created.body;
  const headers = { authorization: `Bearer ${key}` };

  await run({ url: `${base}/v1/me/key`, headers, duration: 3 }); // warm-up
  const healthz = await run({ url: `${base}/healthz` });
  const hot = await run({ url: `${base}/v1/me/key`, headers });
  const quiet = await mutationLatencies(api, apiKey.id);
  // The key busy while the mutations run: each must wait for the leases out at its start.
  const load = run({ url: `${base}/v1/me/key`, headers, duration: Math.ceil(MUTATIONS * 1.3) + 3 });
  await new Promise((r) => setTimeout(r, 1_000));
  const busy = await mutationLatencies(api, apiKey.id);
  await load;
  stop(child);
  const non2xx = hot.non2xx;
  return { leaseMs, ratio: hot.requests.average / healthz.requests.average, rps: hot.requests.average, quiet, busy, non2xx };
}

const rows = [];
for (const leaseMs of LENGTHS) {
  process.stdout.write(`GUARD_LEASE_MS=${leaseMs}… `);
  rows.push(await measure(leaseMs));
  console.log("done");
}
const ms = (v) => Math.round(v);
console.log(`\n${new Date().toISOString().slice(0, 16)}Z · ${CONNECTIONS} connections · ${SECONDS} s per run · ${MUTATIONS} PATCHes per row · wrangler dev on 127.0.0.1 · npm run bench:leases\n`);
console.log("| GUARD_LEASE_MS | busy key req/s | ratio to /healthz | PATCH, quiet key p50 / max ms | PATCH, busy key p50 / p90 / max ms |");
console.log("|---:|---:|---:|---|---|");
for (const r of rows) {
  const label = r.leaseMs === 0 ? "0 (off)" : String(r.leaseMs);
  console.log(`| ${label} | ${Math.round(r.rps)} | ${r.ratio.toFixed(2)} | ${ms(percentile(r.quiet, 50))} / ${ms(r.quiet.at(-1))} | ${ms(percentile(r.busy, 50))} / ${ms(percentile(r.busy, 90))} / ${ms(r.busy.at(-1))} |${r.non2xx ? ` ⚠ ${r.non2xx} non-2xx` : ""}`);
}
process.exit(0);
