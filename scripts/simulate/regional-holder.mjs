// Strategy (c), regional lease holders (modelled, not in src): an isolate leases from a per-region
// holder object, which spends its own tokens and refills them from the key's object. It trades a
// shorter hop for the isolate against a second object in the path and a bigger lease outstanding.
import { HOLDER_MAX_TOKENS, MAX_LEASE_TOKENS, P } from "./params.mjs";
import { LOC, rtt } from "./locations.mjs";
import { countDemand } from "./demand.mjs";
import { callObject, decideAtKey, enterObject, holderObject, keyObject } from "./durable-objects.mjs";
import { measuring, serve } from "./run-state.mjs";

/**
 * Inside holder `h` at `ts`: admit one request and pass on up to `ask` of its tokens, or refill
 * from the key's object (single flight: callers arriving meanwhile wait for that refill).
 * `answer(td, verdict)` runs inside the holder when the request is decided.
 */
function decideAtHolder(sim, h, ts, ask, answer) {
  const wanted = countDemand(h.demand, ts, 1 + ask);
  if (h.blockedUntil > ts) return answer(ts, { ok: false, retryAt: h.blockedUntil });
  if (h.tokens >= 1 && h.expiresAt > ts) {
    h.tokens -= 1;
    serve(sim, h.key, ts);
    const give = Math.min(ask, h.tokens, MAX_LEASE_TOKENS);
    h.tokens -= give;
    return answer(ts, { ok: true, lease: give > 0 ? { tokens: give, expiresAt: h.expiresAt } : undefined });
  }
  if (h.inflight) return h.waiters.push({ ask, answer });
  const refill = wanted > 0 ? Math.ceil((wanted * P.leaseMs) / 1000) : 0;
  const keyObj = keyObject(sim, h.key, h.loc);
  const flight = {};
  if (refill > 0) h.inflight = flight;
  callObject(sim, ts, h.loc, keyObj, (tk) => decideAtKey(sim, keyObj, tk, 1, refill, HOLDER_MAX_TOKENS), (tr, verdict) => {
    if (!verdict.ok) h.blockedUntil = Math.max(h.blockedUntil, verdict.retryAt);
    if (verdict.lease) {
      const live = h.tokens > 0 && h.expiresAt > tr;
      h.tokens = (live ? h.tokens : 0) + verdict.lease.tokens;
      h.expiresAt = live ? Math.min(h.expiresAt, verdict.lease.expiresAt) : verdict.lease.expiresAt;
    }
    let reply = verdict;
    if (verdict.ok) {
      const give = h.expiresAt > tr ? Math.min(ask, h.tokens, MAX_LEASE_TOKENS) : 0;
      h.tokens -= give;
      reply = { ok: true, lease: give > 0 ? { tokens: give, expiresAt: h.expiresAt } : undefined };
    }
    if (h.inflight === flight) h.inflight = null;
    answer(tr, reply);
    const waiters = h.waiters;
    h.waiters = [];
    for (const w of waiters) decideAtHolder(sim, h, tr, w.ask, w.answer);
  });
}

/** An isolate's call to its region's holder for `req`, asking `ask` tokens; `reply(tr, verdict)` back home. */
export function callHolder(sim, t, req, ask, reply) {
  const h = holderObject(sim, req.key, LOC[req.loc].region, req.loc);
  const oneWay = rtt(req.loc, h.loc) / 2;
  sim.count.holderCalls += measuring(sim, t) ? 1 : 0;
  sim.heap.push(t + oneWay, (ta) =>
    enterObject(sim, h, ta, (ts) => decideAtHolder(sim, h, ts, ask, (td, verdict) => sim.heap.push(td + P.doServiceMs + oneWay, (tr) => reply(tr, verdict)))),
  );
}
