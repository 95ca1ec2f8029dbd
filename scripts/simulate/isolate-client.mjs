// The isolate's side of admission, as src/limiter/client.ts does it: answer locally when it safely
// can (a window it just saw full, leased tokens), otherwise call the key's object (or, in strategy
// (c), its region's holder), with one call in flight per isolate and key and the rest waiting on it.
import { MAX_LEASE_TOKENS, LEASE_MIN_DEMAND, P } from "./params.mjs";
import { countDemand, newDemand } from "./demand.mjs";
import { callObject, decideAtKey, keyObject } from "./durable-objects.mjs";
import { callHolder } from "./regional-holder.mjs";
import { done, measuring, serve } from "./run-state.mjs";

function isolateState(sim, req) {
  const id = `${req.loc}:${req.iso}`;
  let keys = sim.isolates.get(id);
  if (!keys) sim.isolates.set(id, (keys = new Map()));
  let st = keys.get(req.key);
  if (!st) keys.set(req.key, (st = { tokens: 0, expiresAt: 0, inflight: null, waiters: [], blockedUntil: 0, lastReport: -Infinity, demand: newDemand() }));
  return st;
}

/** Answers `req` without a call if the isolate may: returns whether it did. */
function answerLocally(sim, t, req, st) {
  if (st.blockedUntil > t) {
    // Its own 429s reach the object in one report a second (a call nobody waits for).
    if (t - st.lastReport >= 1000) {
      st.lastReport = t;
      if (measuring(sim, t)) sim.strategy === "regional" ? sim.count.holderCalls++ : sim.count.keyObjectCalls++;
    }
    done(sim, req, t, false);
    return true;
  }
  if (st.tokens >= 1 && st.expiresAt > t) {
    st.tokens -= 1;
    serve(sim, req.key, t);
    done(sim, req, t, true);
    return true;
  }
  return false;
}

/** Calls the guard for `req`, asking a lease sized to `wanted` req/s (0: no lease). */
function askGuard(sim, t, req, st, wanted) {
  const ask = wanted > 0 ? Math.ceil((wanted * P.leaseMs) / 1000) : 0;
  const flight = {};
  if (ask > 0) st.inflight = flight;
  const reply = (tr, verdict) => {
    if (!verdict.ok) st.blockedUntil = Math.max(st.blockedUntil, verdict.retryAt);
    if (verdict.lease) {
      const live = st.tokens > 0 && st.expiresAt > tr;
      st.tokens = (live ? st.tokens : 0) + verdict.lease.tokens;
      st.expiresAt = live ? Math.min(st.expiresAt, verdict.lease.expiresAt) : verdict.lease.expiresAt;
    }
    done(sim, req, tr, verdict.ok);
    if (st.inflight === flight) {
      st.inflight = null;
      const waiters = st.waiters;
      st.waiters = [];
      for (const w of waiters) resume(sim, tr, w, st);
    }
  };
  if (sim.strategy === "regional") {
    callHolder(sim, t, req, ask, reply);
  } else {
    const o = keyObject(sim, req.key, req.loc);
    callObject(sim, t, req.loc, o, (ts) => decideAtKey(sim, o, ts, 1, ask, MAX_LEASE_TOKENS), reply);
  }
}

/** A request that waited on another's call: tries the refilled lease first, then calls itself. */
function resume(sim, t, req, st) {
  if (answerLocally(sim, t, req, st)) return;
  if (st.inflight) return st.waiters.push(req);
  const d = st.demand;
  askGuard(sim, t, req, st, sim.useLeases && Math.max(d.previous, d.current) >= LEASE_MIN_DEMAND ? Math.max(d.previous, d.current) : 0);
}

/** A request reaches its isolate at `t` (strategies (a), (b) and (c)). */
export function arrive(sim, t, req) {
  const st = isolateState(sim, req);
  const wanted = sim.useLeases ? countDemand(st.demand, t) : 0;
  if (answerLocally(sim, t, req, st)) return;
  if (st.inflight) return st.waiters.push(req);
  askGuard(sim, t, req, st, wanted);
}
