#!/usr/bin/env node
// `npm run bench:usage`: how D1's usage writes grow with the number of active keys (issue 15).
// For each mode (USAGE_AGGREGATORS=0: each key's guard writes its own batch; the default: keys'
// flushes group-committed by the usage aggregators) it starts a local `wrangler dev` with fresh
// state, creates the keys, keeps K of them busy (every key used twice per flush interval, so each
// flushes once per interval) and reads D1's batches and statements per second off the
// `usage_batch` log lines (one per D1 usage batch, src/db/usage-batch.ts), over the steady part
// of the run. Prints a markdown table and the model beyond.
//
// Env: USAGE_KEYS (default "100,1000,3000"), USAGE_BENCH_FLUSH_SECONDS (default 20: the keys' flush
// interval, 60 in production, shortened here so a run takes seconds; rates are also given scaled
// to 60 s), USAGE_BENCH_PORT (default 8790), USAGE_BENCH_AGGREGATORS (default mode's count, 8).
import { rmSync } from "node:fs";
import { applySchema, operatorClient, startWrangler, waitForHealthy } from "./lib/local-server.mjs";

const KEYS = (process.env.USAGE_KEYS ?? "100,1000,3000").split(",").map(Number);
const FLUSH_S = Number(process.env.USAGE_BENCH_FLUSH_SECONDS ?? 20);
const PORT = Number(process.env.USAGE_BENCH_PORT ?? 8790);
const AGGREGATORS = process.env.USAGE_BENCH_AGGREGATORS ?? "8";
const BATCH_MS = 1000;
/** Warm-up (first flushes, 5 s after first use, then the interval's rhythm), then the measured part. */
const WARM_S = FLUSH_S + 6;
const MEASURE_S = 2 * FLUSH_S;
const CONCURRENCY = 64;
const TIERS = { bench: { limit: 1_000_000_000, window_seconds: 60 } };

const servers = [];
process.on("exit", () =>
  servers.forEach((s) => {
    try {
      if (s.exitCode === null) process.kill(-s.pid, "SIGTERM");
    } catch {}
  }),
);
process.on("SIGINT", () => process.exit(130));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs `task` over `items` with at most `n` at once. */
async function pool(items, n, task) {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await task(items[next++]);
  }));
}

/** A fresh server in `mode`, its usage_batch lines collected as they come. */
async function server(aggregators) {
  const base = `http://127.0.0.1:${PORT}`;
  const state = `.wrangler/usage-scale-${PORT}`;
  rmSync(state, { recursive: true, force: true });
  applySchema(state);
  const vars = { RATE_LIMIT_TIERS: JSON.stringify(TIERS), REQUEST_LOG: "off", SERVER_TIMING: "off", USAGE_AGGREGATORS: aggregators, USAGE_FLUSH_SECONDS: String(FLUSH_S), USAGE_BATCH_MS: String(BATCH_MS) };
  const child = startWrangler(PORT, { vars, stdio: "pipe", extraArgs: ["--ip", "127.0.0.1", "--persist-to", state] });
  servers.push(child);
  const batches = [];
  let partial = "";
  const read = (chunk) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop();
    for (const line of lines) {
      const at = line.indexOf('{"level"');
      if (at < 0 || !line.includes('"usage_batch"')) continue;
      try {
        const { entries, statements } = JSON.parse(line.slice(at));
        batches.push({ t: Date.now(), entries, statements });
      } catch {}
    }
  };
  child.stdout.setEncoding("utf8").on("data", read);
  child.stderr.setEncoding("utf8").on("data", read);
  await waitForHealthy(base);
  return { base, batches, stop: () => new Promise((r) => { child.once("exit", r); process.kill(-child.pid, "SIGTERM"); }) };
}

async function createKeys(base, count) {
  const api = operatorClient(base);
  const keys = [];
  for (let p = 0; keys.length < count; p++) {
    const partner = await api("/v1/partners", {
      body: { slug: `usage-scale-${p}-${Date.now()}`, name: "Usage scale", contact_email: "u@usage.example", website_url: "https://usage.example", rate_limit_tier: "bench" },
    });
    if (partner.status !== 201) throw new Error(`partner: ${partner.status} ${JSON.stringify(partner.body)}`);
    const n = Math.min(500, count - keys.length);
    await pool(Array.from({ length: n }), 16, async () => {
      let res;
      // A 503 is wrangler dev reloading (a source file changed): try again.
      for (let tries = 0; tries < 5 && (res = await api(`/v1/partners/${partner.body.id}/keys`, { body: { name: "usage", type: "secret", scopes: [] } })).status === 503; tries++) await sleep(2000);
      if (res.status !== 201) throw new Error(`key: ${res.status} ${JSON.stringify(res.body)}`);
      keys.push(res.body.key);
    });
  }
  return keys;
}

/** Keeps `keys` busy (each used twice per flush interval) for `seconds`. */
async function drive(base, keys, seconds) {
  const end = Date.now() + seconds * 1000;
  const sweepMs = (FLUSH_S * 1000) / 2;
  let failed = 0;
  const sweeps = [];
  while (Date.now() < end) {
    const started = Date.now();
    await pool(keys, CONCURRENCY, async (key) => {
      const res = await fetch(`${base}/v1/me/key`, { headers: { authorization: `Bearer ${key}` } });
      await res.arrayBuffer();
      if (res.status !== 200) failed++;
    });
    const took = Date.now() - started;
    sweeps.push(took);
    if (took > sweepMs) console.warn(`  (a sweep of ${keys.length} keys took ${took} ms, more than ${sweepMs}: some keys may skip an interval)`);
    await sleep(Math.max(0, sweepMs - took));
  }
  console.log(`    sweeps of ${keys.length} keys: median ${sweeps.sort((a, b) => a - b)[sweeps.length >> 1]} ms (every ${sweepMs} ms)`);
  return failed;
}

const results = [];
for (const [mode, aggregators] of [["direct (USAGE_AGGREGATORS=0)", "0"], [`aggregated (USAGE_AGGREGATORS=${AGGREGATORS}, ${BATCH_MS} ms window)`, AGGREGATORS]]) {
  console.log(`\n${mode}: starting wrangler dev…`);
  const s = await server(aggregators);
  process.stdout.write(`creating ${Math.max(...KEYS)} keys… `);
  const all = await createKeys(s.base, Math.max(...KEYS));
  // Each key's first use is slow locally (a D1 lookup, a new object with its own SQLite file): done
  // once, before any measured window, and its flushes left to pass.
  process.stdout.write("first use of every key… ");
  const cold = Date.now();
  await pool(all, CONCURRENCY, (key) => fetch(`${s.base}/v1/me/key`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.arrayBuffer()));
  console.log(`${Math.round((Date.now() - cold) / 1000)} s`);
  await sleep((FLUSH_S + 6) * 1000);
  for (const k of KEYS) {
    const keys = all.slice(0, k);
    console.log(`  ${k} keys: ${WARM_S + MEASURE_S} s of traffic…`);
    const drove = drive(s.base, keys, WARM_S + MEASURE_S);
    await sleep(WARM_S * 1000);
    const from = Date.now();
    const failed = await drove;
    const to = Date.now();
    const window = s.batches.filter((b) => b.t >= from && b.t < to);
    const secs = (to - from) / 1000;
    const sum = (f) => window.reduce((n, b) => n + f(b), 0);
    results.push({ mode, k, batches: window.length / secs, statements: sum((b) => b.statements) / secs, entries: sum((b) => b.entries) / secs, failed });
    // Let the last flushes of these keys pass before the next run's window.
    await sleep((FLUSH_S + 6) * 1000);
  }
  await s.stop();
}

const f1 = (n) => n.toFixed(1);
const scale = 60 / FLUSH_S;
console.log(`\n${new Date().toISOString().slice(0, 10)} · \`npm run bench:usage\` (USAGE_KEYS=${KEYS.join(",")} USAGE_BENCH_FLUSH_SECONDS=${FLUSH_S}) · wrangler dev on 127.0.0.1`);
console.log(`Flush interval ${FLUSH_S} s; "at 60 s" scales the key-bound rates by ${FLUSH_S}/60 (aggregated rates are bounded by the aggregators, not the keys).\n`);
console.log("| mode | keys | flushes/s | D1 batches/s | D1 statements/s | statements/s at 60 s interval | failed requests |");
console.log("|---|---:|---:|---:|---:|---:|---:|");
for (const r of results) {
  const at60 = r.mode.startsWith("direct") ? r.statements / scale : Math.min(r.statements, (r.entries / scale) * 5);
  console.log(`| ${r.mode} | ${r.k} | ${f1(r.entries)} | ${f1(r.batches)} | ${f1(r.statements)} | ${f1(at60)} | ${r.failed} |`);
}
const n = Number(AGGREGATORS);
console.log(`\nModel (S = 5 statements per batch, 60 s interval, N = ${n} aggregators, ${BATCH_MS / 1000} s window):`);
console.log("direct ≈ keys × S / 60 statements/s; aggregated ≤ N × S / window (plus one batch per 500 entries beyond that).\n");
console.log("| keys | direct statements/s | aggregated statements/s | aggregated entries per batch |");
console.log("|---:|---:|---:|---:|");
for (const keys of [10_000, 100_000, 1_000_000]) {
  const flushes = keys / 60;
  const batches = Math.max(n / (BATCH_MS / 1000), flushes / 500);
  console.log(`| ${keys.toLocaleString("en")} | ${Math.round((keys * 5) / 60).toLocaleString("en")} | ≤ ${Math.round(batches * 5)} | ~${Math.round(flushes / batches)} |`);
}
process.exit(0);
