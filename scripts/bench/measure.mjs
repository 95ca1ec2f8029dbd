// How `npm run bench` measures: autocannon runs, storage calls read from Server-Timing, and the
// table every scenario adds a row to. The ratio to GET /healthz on the same server in the same run
// is the figure to compare across runs: absolute req/s moves with whatever else shares the cores.
import { cpus, loadavg } from "node:os";
import autocannon from "autocannon";

export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
export const DURATION = Number(process.env.BENCH_SECONDS ?? 10);

export const auth = (key) => ({ authorization: `Bearer ${key}` });
export const repeat = (n, item) => Array.from({ length: n }, () => item);

/** Runs `fn` over `items` with at most `limit` in flight: the local server is one isolate, so a few at once is all it takes. */
export async function mapConcurrent(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Storage calls added up over responses, from their `Server-Timing` (`d1;dur=…;desc=<calls>`, …). */
export class StorageTally {
  totals = { d1: 0, kv: 0, do: 0 };
  /** ms spent in each storage, as the Worker timed it. */
  ms = { d1: 0, kv: 0, do: 0 };
  responses = 0;
  /** Responses that made at least one D1 query: the figure the isolate-restart target is about. */
  withD1 = 0;
  add(header) {
    this.responses++;
    let d1 = 0;
    for (const [, name, dur, n] of (header ?? "").matchAll(/(d1|kv|do);dur=([\d.]+);desc=(\d+)/g)) {
      this.totals[name] += Number(n);
      this.ms[name] += Number(dur);
      if (name === "d1") d1 += Number(n);
    }
    if (d1 > 0) this.withD1++;
  }
  /** Mean calls per response, e.g. `d1 0 · kv 1 · do 1`. */
  get perRequest() {
    const per = (n) => +(n / Math.max(1, this.responses)).toFixed(2);
    return `d1 ${per(this.totals.d1)} · kv ${per(this.totals.kv)} · do ${per(this.totals.do)}`;
  }
  /** Mean ms per response in each storage touched, e.g. `kv 3.1 ms · do 24.0 ms`: where a slow scenario's time goes. */
  get timePerRequest() {
    const n = Math.max(1, this.responses);
    return Object.entries(this.ms).filter(([name]) => this.totals[name] > 0).map(([name, ms]) => `${name} ${(ms / n).toFixed(1)} ms`).join(" · ");
  }
}

/** Mean storage calls per request over `requests` sent one at a time after a scenario (a sample). */
export async function storageCalls(base, requests) {
  const tally = new StorageTally();
  for (const r of requests) {
    const res = await fetch(`${base}${r.path ?? "/v1/me/key"}`, { headers: r.headers });
    await res.arrayBuffer();
    tally.add(res.headers.get("server-timing"));
  }
  return tally.perRequest;
}

/** One autocannon run: CONNECTIONS connections for DURATION seconds unless `options` says otherwise. */
export function run(options) {
  return new Promise((resolve, reject) => {
    const settings = { connections: CONNECTIONS, ...options };
    if (settings.amount === undefined) settings.duration ??= DURATION;
    autocannon(settings, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/** `keys` in turn, one per request, whatever connection sends it. */
export function roundRobin(keys) {
  let turn = 0;
  return (req) => ({ ...req, headers: { ...req.headers, ...auth(keys[turn++ % keys.length]) } });
}

/** A header from autocannon's `{ name: value }` of raw names, whatever their case. */
const headerNamed = (headers, name) => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];

export const rows = [];

/**
 * Runs one scenario and adds its row. `sample`: requests sent one by one afterwards to read storage
 * calls, or "all" to read them from every response of the run itself (through autocannon's
 * onResponse, on `options.requests`) — the only way when each key's first request is the point.
 * @param expected statuses the scenario may produce, e.g. [200, 429] for an over-limit key's first few 200s
 */
export async function scenario(name, base, baseline, options, sample, expected) {
  let tally = null;
  if (sample === "all") {
    tally = new StorageTally();
    options = { ...options, requests: options.requests.map((r) => ({ ...r, onResponse: (status, body, context, headers) => tally.add(headerNamed(headers, "server-timing")) })) };
  }
  const result = await run(options);
  const stats = result.statusCodeStats ?? {};
  // A run of a fixed number of requests may last a second or two: the per-second mean would count
  // its last partial second as a whole one, so its rate is what it sent over how long it took.
  // Under a few hundred requests even that is mostly rounding (autocannon ends such a run on a
  // whole-second tick): no rate then, only latency.
  const rps = options.amount === undefined ? result.requests.average : options.amount >= 200 ? result.requests.total / result.duration : NaN;
  rows.push({
    name,
    rps,
    p50: result.latency.p50,
    p99: result.latency.p99,
    storage: tally ? `${tally.perRequest} (all ${tally.responses} responses, ${tally.withD1} with D1; ${tally.timePerRequest || "no storage"})` : await storageCalls(base, sample),
    statuses: Object.entries(stats).map(([s, v]) => `${s}×${v.count}`).join(" "),
    ok: Object.keys(stats).every((s) => expected.includes(Number(s))) && result.errors === 0,
    ratio: baseline === null ? 1 : rps / baseline,
  });
  return rps;
}

export const paired = [];

/**
 * The ratio the target is stated in (warm key ÷ /healthz, DESIGN §11), measured robustly: `pairs`
 * alternating runs of /healthz and of the scenario, `seconds` each, one ratio per pair, and their
 * median. A drift of the machine's speed during a run (other work, a neighbour) then moves both
 * halves of a pair alike instead of one row of the table.
 */
export async function pairedRatio(name, base, options, pairs = Number(process.env.BENCH_PAIRS ?? 3), seconds = 5) {
  const ratios = [];
  for (let i = 0; i < pairs; i++) {
    const healthz = (await run({ url: `${base}/healthz`, duration: seconds })).requests.average;
    const scenario = (await run({ ...options, duration: seconds })).requests.average;
    ratios.push(scenario / healthz);
  }
  const sorted = [...ratios].sort((a, b) => a - b);
  paired.push({ name, median: sorted[Math.floor(sorted.length / 2)], ratios });
}

// The machine's load when the run started: autocannon and wrangler dev share the cores with
// whatever else runs, and the load average says how much to trust the req/s (ratios hold up better).
const loadAtStart = loadavg()[0];

export function printRows(note = "") {
  const load = `load average ${loadAtStart.toFixed(1)} at start, ${loadavg()[0].toFixed(1)} at end on ${cpus().length} cores`;
  console.log(`\n${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC · ${CONNECTIONS} connections · ${DURATION} s per scenario · wrangler dev on 127.0.0.1 · ${load}${note}\n`);
  console.log("| scenario | req/s | p50 ms | p99 ms | storage calls per request | ratio to /healthz | statuses |");
  console.log("|---|---:|---:|---:|---|---:|---|");
  for (const r of rows) {
    const rate = Number.isNaN(r.rps) ? "–" : Math.round(r.rps);
    const ratio = Number.isNaN(r.ratio) ? "–" : r.ratio.toFixed(2);
    console.log(`| ${r.name} | ${rate} | ${r.p50} | ${r.p99} | ${r.storage} | ${ratio} | ${r.statuses}${r.ok ? "" : " ⚠"} |`);
  }
  if (paired.length > 0) console.log("\nPaired ratios to /healthz (alternating runs of 5 s, median of the pairs):\n");
  for (const p of paired) console.log(`- ${p.name}: **${p.median.toFixed(2)}** (${p.ratios.map((r) => r.toFixed(2)).join(", ")})`);
}
