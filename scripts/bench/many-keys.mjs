// Two scenarios about many keys rather than one hot key:
//   - many warm keys round-robin: the steady state of a partner spreading traffic over its keys
//     (DESIGN §11: 0 D1, 0 KV, 1 Durable Object call per request);
//   - the first request a fresh isolate serves for a known key whose KV entry and object are warm
//     (issue 15: exactly 1 KV read and 1 object call, no D1 query). Under wrangler dev there is one
//     isolate, so a fresh one is made by stopping wrangler dev and starting it again on the same
//     persisted state: KV and each object's SQLite storage survive, every in-memory cache does not.
import { CONNECTIONS, roundRobin, run, scenario } from "./measure.mjs";

/** Keys whose D1 row is changed behind the server's back to expose any D1 read the object makes (below). */
const CANARIES = Number(process.env.BENCH_CANARY_KEYS ?? 100);
/** Keys never used before the restart, given the same D1 change: the canary's positive control. */
const CONTROLS = 20;

/**
 * Seconds of unmeasured round-robin after the warm pass. A key's object flushes its first usage to
 * D1 5 s after its first request (FIRST_FLUSH_DELAY_MS in src/usage/flush.ts), so a pass over 1,000
 * new keys is followed by a wave of 1,000 flushes that would land in the measurement; in a steady
 * state they spread out to one per key per minute. Measured: the 10 s right after the pass ran at
 * about half the rate of the 10 s after those.
 */
const SETTLE_SECONDS = 8;

/**
 * GET /v1/me/key round-robin over `keys` (`{ id, key }`); storage read from every response. Each
 * key is warmed by one pass in the same order shortly before the measured run: the isolate keeps a
 * record 60 s from when it read it, so the pass, the settling and the run must fit in that minute
 * (a slower warm-up, e.g. one key at a time, would let the first keys' records expire and count KV
 * reads that a key used at least once a minute never costs; if the pass is that slow here, the row
 * shows them).
 */
export async function warmKeysRoundRobin(server, healthz, keys) {
  const secrets = keys.map((k) => k.key);
  const options = () => ({ url: `${server.base}/v1/me/key`, requests: [{ setupRequest: roundRobin(secrets) }] });
  process.stdout.write(`warming ${keys.length} keys… `);
  const started = performance.now();
  const warm = await run({ ...options(), amount: keys.length });
  const bad = Object.entries(warm.statusCodeStats ?? {}).filter(([s]) => s !== "200");
  if (bad.length > 0 || warm.errors > 0) throw new Error(`warming ${keys.length} keys: ${JSON.stringify(bad)}, ${warm.errors} errors`);
  console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await run({ ...options(), duration: SETTLE_SECONDS });
  await scenario(`GET /v1/me/key (${keys.length} warm keys, round-robin)`, server.base, healthz, options(), "all", [200]);
}

/**
 * The first request of each of `keys` (all warm in KV and in their objects, e.g. by
 * warmKeysRoundRobin) in an isolate that has never seen them: stops the server, starts it again on
 * the same state, and sends each key once. The Worker's own storage calls are in Server-Timing;
 * an object's own D1 reads are not (its bindings are not instrumented), so the last CANARIES keys
 * get a D1 canary while the server is down: their row's `version` is raised in D1 only. An object
 * that kept its state answers them as before (1 KV read, 1 call); one that reloaded its record from
 * D1 would see the newer version and answer `stale`, which makes the Worker read D1, write KV and
 * call again — visible as d1 1 · kv 2 · do 2. A control proves the canary can fire: CONTROLS keys
 * created but never used (their objects never loaded anything) get the same change, and their
 * first request must show exactly that.
 */
export async function firstRequestsAfterRestart(server, healthz, keys) {
  if (!server.owned()) {
    console.log("skipping the restart scenario: the server was not started by this script, so it cannot be restarted");
    return;
  }
  const canaries = keys.slice(keys.length - Math.min(CANARIES, Math.floor(keys.length / 2)));
  const measured = keys.slice(0, keys.length - canaries.length);
  const controls = await server.newKeys(CONTROLS, "bench");
  process.stdout.write("restarting wrangler dev on the same state… ");
  await server.stop();
  server.d1(`UPDATE api_keys SET version = version + 1000 WHERE id IN (${[...canaries, ...controls].map((k) => `'${k.id}'`).join(", ")})`);
  await server.start();
  console.log("done");
  // Each key exactly once, a few at a time (as the cold scenario): the point is each key's first request.
  const firstOfEach = (list) => ({
    url: `${server.base}/v1/me/key`,
    amount: list.length,
    connections: Math.min(CONNECTIONS, 8),
    requests: [{ setupRequest: roundRobin(list.map((k) => k.key)) }],
  });
  await scenario(`GET /v1/me/key (first request in a fresh isolate, key warm in KV and object; ${measured.length} keys)`, server.base, healthz, firstOfEach(measured), "all", [200]);
  await scenario(`GET /v1/me/key (the same, D1 canary: ${canaries.length} keys' D1 version raised)`, server.base, healthz, firstOfEach(canaries), "all", [200]);
  await scenario(`GET /v1/me/key (control: ${controls.length} keys never used before, D1 version raised)`, server.base, healthz, firstOfEach(controls), "all", [200]);
}
