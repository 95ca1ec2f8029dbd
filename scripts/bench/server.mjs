// The servers `npm run bench` drives: a local `wrangler dev` with fresh state persisted to its own
// directory (so it can be stopped and started again on the same D1, KV and Durable Object storage),
// a bench partner, and factories for its keys.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { once } from "node:events";
import { applySchema, isHealthy, operatorClient, startWrangler, waitForHealthy, wranglerEnv } from "../lib/local-server.mjs";
import { mapConcurrent } from "./measure.mjs";

const TIERS = {
  standard: { limit: 1000, window_seconds: 60 },
  premium: { limit: 20000, window_seconds: 60 },
  bench: { limit: 1_000_000_000, window_seconds: 60 },
  tiny: { limit: 5, window_seconds: 60 },
};
/** Keys created at once: enough to overlap the round trips, few enough not to queue on D1. */
const CREATE_CONCURRENCY = 8;

const children = new Set();
process.on("exit", () => {
  for (const child of children) {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
  }
});
process.on("SIGINT", () => process.exit(130));

/** A server with fresh local state (or the one already on `port`), a bench partner and key factories. */
export async function benchServer(port, extraVars = {}) {
  const base = `http://127.0.0.1:${port}`;
  const state = `.wrangler/bench-state-${port}`;
  const vars = {
    RATE_LIMIT_TIERS: JSON.stringify(TIERS),
    SERVER_TIMING: "on",
    REQUEST_LOG: process.env.BENCH_REQUEST_LOG ?? "all",
    ...extraVars,
  };
  let child = null;
  const start = async () => {
    child = startWrangler(port, { vars, stdio: "ignore", extraArgs: ["--ip", "127.0.0.1", "--persist-to", state] });
    children.add(child);
    await waitForHealthy(base);
  };
  if (await isHealthy(base)) {
    console.log(`reusing the server on ${base} (it must have been started with the bench and tiny tiers)`);
  } else {
    rmSync(state, { recursive: true, force: true });
    applySchema(state);
    await start();
  }
  const api = operatorClient(base);
  const created = await api("/v1/partners", {
    body: { slug: `bench-${Date.now()}`, name: "Bench", contact_email: "b@bench.example", website_url: "https://bench.example" },
  });
  if (created.status !== 201) throw new Error(`could not create the bench partner: ${created.status} ${JSON.stringify(created.body)}`);

  /** A new key of `partnerId`: `{ id, key }` (the secret). */
  const createKey = async (partnerId, body) => {
    const res = await api(`/v1/partners/${partnerId}/keys`, { body: { name: "bench", type: "secret", scopes: [], ...body } });
    if (res.status !== 201) throw new Error(`could not create a bench key: ${res.status} ${JSON.stringify(res.body)}`);
    return { id: res.body.api_key.id, key: res.body.key };
  };
  const newKey = async (tier) => (await createKey(created.body.id, { rate_limit_tier: tier })).key;
  /** `count` keys of the bench partner on `tier`, created a few at a time: `{ id, key }` each. */
  const newKeys = (count, tier) => mapConcurrent(repeatIndex(count), CREATE_CONCURRENCY, () => createKey(created.body.id, { rate_limit_tier: tier }));
  /** `count` keys of a new partner created with `partner` (e.g. `{rate_limit_scope: "partner"}`). */
  const partnerKeys = async (partner, count) => {
    const p = await api("/v1/partners", {
      body: { slug: `bench-p-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`, name: "Bench pool", contact_email: "b@bench.example", website_url: "https://bench.example", rate_limit_tier: "bench", ...partner },
    });
    if (p.status !== 201) throw new Error(`could not create a bench partner: ${p.status} ${JSON.stringify(p.body)}`);
    const keys = await mapConcurrent(repeatIndex(count), CREATE_CONCURRENCY, () => createKey(p.body.id, {}));
    return keys.map((k) => k.key);
  };

  /** Whether this script started the server (only then can it stop it and start it again). */
  const owned = () => child !== null;
  /** Stops wrangler dev (every isolate and object with it); its persisted state stays. */
  const stop = async () => {
    if (!child) throw new Error(`the server on ${base} was not started by this script`);
    const exited = child.exitCode !== null ? Promise.resolve() : once(child, "exit");
    process.kill(-child.pid, "SIGTERM");
    await exited;
    children.delete(child);
    child = null;
    // workerd may hold the port a moment longer than wrangler lives.
    while (await isHealthy(base)) await new Promise((r) => setTimeout(r, 200));
  };
  /** Runs SQL against the stopped server's local D1 (its persisted state). */
  const d1 = (sql) => {
    const result = spawnSync("wrangler", ["d1", "execute", "DB", "--local", "--persist-to", state, "--command", sql], { env: wranglerEnv, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`wrangler d1 execute failed:\n${result.stdout}${result.stderr}`);
  };
  return { base, newKey, newKeys, partnerKeys, owned, stop, start, d1 };
}

const repeatIndex = (n) => Array.from({ length: n }, (_, i) => i);
