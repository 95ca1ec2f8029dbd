// Strategy (d), the foil: counting in eventually consistent KV instead of an object. Each location
// keeps a KV snapshot of the key's global count for kvRefreshMs and adds what it admitted since; a
// miss reads from a central store; the count is written back at most once a second (KV allows one
// write a second per key). It is fast and cheap, and the report shows what it gives up: it
// over-admits, and a mutation takes up to a whole cacheTtl to be seen everywhere.
import { P } from "./params.mjs";
import { KEYS } from "./keys.mjs";
import { NEAREST_KV, rtt } from "./locations.mjs";
import { done, measuring, serve } from "./run-state.mjs";

/** A request reaches its location at `t`. */
export function arriveKv(sim, t, req) {
  let byLoc = sim.kvState.get(req.key);
  if (!byLoc) sim.kvState.set(req.key, (byLoc = new Map()));
  let s = byLoc.get(req.loc);
  let wait = 0;
  if (!s || t - s.at >= P.kvRefreshMs) {
    const w = sim.truth.get(req.key);
    s = { snapshot: w ? w.count(t) : 0, at: t, local: 0, lastWrite: s?.lastWrite ?? -Infinity };
    byLoc.set(req.loc, s);
    wait = rtt(req.loc, NEAREST_KV[req.loc]);
    if (measuring(sim, t)) sim.count.kvReads++;
  }
  const ok = s.snapshot + s.local < KEYS.limit[req.key];
  if (ok) {
    s.local++;
    serve(sim, req.key, t);
    if (t - s.lastWrite >= 1000) {
      s.lastWrite = t;
      if (measuring(sim, t)) sim.count.kvWrites++;
    }
  }
  done(sim, req, t + wait, ok);
}

/** How long after `tp` until no location still counts `key` from a snapshot taken before it. */
export function kvBarrier(sim, key, tp) {
  let wait = 0;
  for (const s of sim.kvState.get(key)?.values() ?? []) wait = Math.max(wait, s.at + P.kvRefreshMs - tp);
  return wait;
}
