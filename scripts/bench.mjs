#!/usr/bin/env node
// `npm run bench`: drives a local `wrangler dev` with autocannon over loopback and prints one row
// per scenario: throughput, latency, storage calls per request (from Server-Timing) and the ratio
// to GET /healthz measured on the same server in the same run. Starts its own server on
// BENCH_PORT (default 8788, fresh local state, benchmark tiers) or reuses one answering there;
// the strict mode (GUARD_LEASE_MS=0: every request meets the key's object) is measured on a second
// server (BENCH_PORT + 2) against its own /healthz.
//
// BENCH_ONLY selects groups (comma-separated; /healthz and the warm key always run, as baseline):
//   pool   the pooled partners (DESIGN §10)
//   keys   many warm keys round-robin, then the first request of each in a fresh isolate (a restart)
//   cold   a cold key's first request, a forged key, an over-limit key
//   strict the strict server (no leases)
// Unset: everything. BENCH_ONLY=pool and BENCH_ONLY=keys are the quick runs.
// Scenario modules: bench/measure.mjs (autocannon, Server-Timing, the table), bench/server.mjs
// (starting, restarting and seeding wrangler dev), bench/many-keys.mjs (the `keys` group).
import { auth, CONNECTIONS, pairedRatio, printRows, repeat, roundRobin, run, scenario } from "./bench/measure.mjs";
import { firstRequestsAfterRestart, warmKeysRoundRobin } from "./bench/many-keys.mjs";
import { benchServer } from "./bench/server.mjs";

const PORT = Number(process.env.BENCH_PORT ?? 8788);
const COLD_KEYS = Number(process.env.BENCH_COLD_KEYS ?? 600);
const MANY_KEYS = Number(process.env.BENCH_MANY_KEYS ?? 1000);
const POOL_KEYS = 8;
const SAMPLES = 20;

const GROUPS = ["pool", "keys", "cold", "strict"];
const only = process.env.BENCH_ONLY?.split(",").map((g) => g.trim()).filter(Boolean);
const unknown = only?.filter((g) => !GROUPS.includes(g)) ?? [];
if (unknown.length > 0) throw new Error(`BENCH_ONLY: unknown group ${unknown.join(", ")} (known: ${GROUPS.join(", ")})`);
const runs = (group) => !only || only.includes(group);

// The default server: leases of 250 ms (src/limiter/leases.ts), every per-request promise kept.
const main = await benchServer(PORT);
const warmKey = await main.newKey("bench");
let coldKeys = [];
if (runs("cold")) {
  process.stdout.write(`creating ${COLD_KEYS + SAMPLES} keys for the cold scenario… `);
  coldKeys = (await main.newKeys(COLD_KEYS + SAMPLES, "bench")).map((k) => k.key);
  console.log("done");
}

// Warm up the isolate and the JIT before measuring anything.
await run({ url: `${main.base}/v1/me/key`, headers: auth(warmKey), duration: 3 });
const healthz = await scenario("GET /healthz", main.base, null, { url: `${main.base}/healthz` }, repeat(SAMPLES, { path: "/healthz" }), [200]);
await scenario("GET /v1/me/key (warm)", main.base, healthz, { url: `${main.base}/v1/me/key`, headers: auth(warmKey) }, repeat(SAMPLES, { headers: auth(warmKey) }), [200]);
await pairedRatio("GET /v1/me/key (warm), default", main.base, { url: `${main.base}/v1/me/key`, headers: auth(warmKey) });

/** `keys` round-robin over the connections: one partner's traffic through several keys. */
async function spread(name, keys) {
  const options = () => ({ url: `${main.base}/v1/me/key`, requests: [{ setupRequest: roundRobin(keys) }] });
  await run({ ...options(), duration: 2 });
  await scenario(name, main.base, healthz, options(), keys.flatMap((key) => repeat(3, { headers: auth(key) })), [200]);
}
if (runs("pool")) {
  // One hot partner (DESIGN §10): its keys' own objects, then everything meeting in the partner's pool.
  await spread(`GET /v1/me/key (${POOL_KEYS} keys of one partner, key scope)`, await main.partnerKeys({}, POOL_KEYS));
  await spread(`GET /v1/me/key (${POOL_KEYS} keys of one partner, partner scope)`, await main.partnerKeys({ rate_limit_scope: "partner" }, POOL_KEYS));
  await spread(`GET /v1/me/key (${POOL_KEYS} keys sharing partner credits)`, await main.partnerKeys({ credits_remaining: 1_000_000_000 }, POOL_KEYS));
  await spread(`GET /v1/me/key (1 key, partner scope)`, await main.partnerKeys({ rate_limit_scope: "partner" }, 1));
}

if (runs("cold")) {
  const limitedKey = await main.newKey("tiny");
  // Same shape, tag computed under another pepper: a forgery.
  const forgedKey = warmKey.slice(0, -6) + (warmKey.endsWith("AAAAAA") ? "BBBBBB" : "AAAAAA");
  await scenario(
    "GET /v1/me/key (first request of a cold key)",
    main.base,
    healthz,
    { url: `${main.base}/v1/me/key`, amount: COLD_KEYS, connections: Math.min(CONNECTIONS, 8), requests: [{ setupRequest: roundRobin(coldKeys.slice(0, COLD_KEYS)) }] },
    coldKeys.slice(COLD_KEYS).map((key) => ({ headers: auth(key) })),
    [200],
  );
  await scenario("GET /v1/me/key (forged key)", main.base, healthz, { url: `${main.base}/v1/me/key`, headers: auth(forgedKey) }, repeat(SAMPLES, { headers: auth(forgedKey) }), [401]);
  await scenario("GET /v1/me/key (over-limit key)", main.base, healthz, { url: `${main.base}/v1/me/key`, headers: auth(limitedKey) }, repeat(SAMPLES, { headers: auth(limitedKey) }), [200, 429]);
}

// Last on the default server: a thousand keys leave a thousand objects flushing usage to D1 every
// minute, which would weigh on the scenarios after them, and the restart empties every cache.
if (runs("keys")) {
  process.stdout.write(`creating ${MANY_KEYS} keys… `);
  const started = performance.now();
  const manyKeys = await main.newKeys(MANY_KEYS, "bench");
  console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await warmKeysRoundRobin(main, healthz, manyKeys);
  await firstRequestsAfterRestart(main, healthz, manyKeys);
}

if (runs("strict")) {
  // The default server is done: stopped (when it is ours), its objects' usage flushes stop competing for the cores.
  if (main.owned()) await main.stop();
  // Leases off, on its own server, against that server's own /healthz.
  const strict = await benchServer(PORT + 2, { GUARD_LEASE_MS: "0" });
  const strictKey = await strict.newKey("bench");
  await run({ url: `${strict.base}/v1/me/key`, headers: auth(strictKey), duration: 3 });
  const strictHealthz = await scenario("GET /healthz (strict server)", strict.base, null, { url: `${strict.base}/healthz` }, repeat(SAMPLES, { path: "/healthz" }), [200]);
  await scenario(
    "GET /v1/me/key (warm, GUARD_LEASE_MS=0)",
    strict.base,
    strictHealthz,
    { url: `${strict.base}/v1/me/key`, headers: auth(strictKey) },
    repeat(SAMPLES, { headers: auth(strictKey) }),
    [200],
  );
  await pairedRatio("GET /v1/me/key (warm), GUARD_LEASE_MS=0", strict.base, { url: `${strict.base}/v1/me/key`, headers: auth(strictKey) });
}

printRows(only ? ` · BENCH_ONLY=${only.join(",")}` : "");
process.exit(0);
