// Durable Objects in the model: where they are placed, how a call to one travels and queues, and
// what the key's own object decides. Placement and queuing are what make strategy (a) slow from far
// away and a hot key's object a bottleneck, so they are modelled explicitly rather than as a constant.
import { P } from "./params.mjs";
import { KEYS } from "./keys.mjs";
import { NEAREST_DO_HOST, rtt } from "./locations.mjs";
import { newDemand } from "./demand.mjs";
import { measuring, serve } from "./run-state.mjs";
import { bucketEnd, Window } from "./sliding-window.mjs";

// An object is placed at the object-hosting metro nearest to the location of its first call (as
// Cloudflare places an object near its first request) and never moves.
function objectOf(sim, id, from, make) {
  let o = sim.objects.get(id);
  if (!o) {
    o = { id, loc: NEAREST_DO_HOST[from], busyUntil: 0, busy: 0, ...make() };
    sim.objects.set(id, o);
  }
  return o;
}

/** The key's own object (KeyGuard): its sliding window and when its last lease ends. */
export const keyObject = (sim, key, from) => objectOf(sim, `k${key}`, from, () => ({ key, window: new Window(key), leasesUntil: 0 }));

/** A regional lease holder for `key` in `region` (strategy (c) only: not in src). */
export const holderObject = (sim, key, region, from) =>
  objectOf(sim, `h${key}:${region}`, from, () => ({ key, region, tokens: 0, expiresAt: 0, inflight: null, waiters: [], blockedUntil: 0, demand: newDemand() }));

/**
 * Runs `fn(ts)` inside object `o` for a call arriving at `ta`: one call at a time, doServiceMs each
 * (an object is single-threaded), so calls queue behind each other and `o.busy` measures its load.
 */
export function enterObject(sim, o, ta, fn) {
  const start = Math.max(ta, o.busyUntil);
  o.busyUntil = start + P.doServiceMs;
  if (measuring(sim, start)) o.busy += P.doServiceMs;
  sim.heap.push(start, fn);
}

/**
 * Sends a call from location `from` to object `o` at `t`; `decide(ts)` runs when the object gets to
 * it and `reply(tr, verdict)` runs back at the caller half a round trip after the object's work.
 */
export function callObject(sim, t, from, o, decide, reply) {
  if (o.id[0] === "k") sim.count.keyObjectCalls += measuring(sim, t) ? 1 : 0;
  else sim.count.holderCalls += measuring(sim, t) ? 1 : 0;
  const oneWay = rtt(from, o.loc) / 2;
  sim.heap.push(t + oneWay, (ta) =>
    enterObject(sim, o, ta, (ts) => {
      const verdict = decide(ts);
      sim.heap.push(ts + P.doServiceMs + oneWay, (tr) => reply(tr, verdict));
    }),
  );
}

/**
 * The key's object admits `cost` and grants a lease of up to `ask` tokens, bounded as
 * src/limiter/guard-leases.ts bounds it: at most `maxTokens`, at most a tenth of what is left,
 * never past GUARD_LEASE_MS nor the end of the current bucket. Leased tokens are counted at once.
 */
export function decideAtKey(sim, o, ts, cost, ask, maxTokens) {
  const limit = KEYS.limit[o.key];
  if (o.window.count(ts) + cost > limit) return { ok: false, retryAt: ts + o.window.retryAfter(ts, limit, cost) };
  o.window.add(ts, cost);
  for (let i = 0; i < cost; i++) serve(sim, o.key, ts);
  if (ask <= 0) return { ok: true };
  const expiresAt = Math.min(ts + P.leaseMs, bucketEnd(ts));
  const spare = Math.floor((limit - o.window.count(ts)) / 10);
  const tokens = Math.min(maxTokens, Math.ceil((ask * (expiresAt - ts)) / P.leaseMs), spare);
  if (tokens <= 0) return { ok: true };
  o.window.add(ts, tokens);
  o.leasesUntil = Math.max(o.leasesUntil, expiresAt);
  if (measuring(sim, ts)) sim.count.leaseGrants++;
  return { ok: true, lease: { tokens, expiresAt } };
}
