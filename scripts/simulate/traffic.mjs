// What drives a run: the request stream and the mutation probes. Both draw from the run's own seeded
// stream; the probes are drawn when scheduled (before the first request is), the requests one by
// one as the clock advances, which keeps the sequence of draws, and so the results, reproducible.
import { P } from "./params.mjs";
import { KEYS } from "./keys.mjs";
import { ISOLATES, LOC_CDF, REGION_CDF, REGION_LOCS } from "./locations.mjs";
import { pick } from "./random.mjs";
import { measuring } from "./run-state.mjs";

/**
 * A Poisson process at P.rps: each request a Zipf key, a location (within the key's home continent
 * in scenario "one", anywhere in "all") and one of that location's isolates, handed to `arrive`.
 */
export function scheduleRequests(sim, arrive) {
  let t = 0;
  const gen = () => {
    t += -Math.log(1 - sim.random()) * (1000 / P.rps);
    if (t >= sim.endMs) return;
    const key = pick(KEYS.cdf, sim.random());
    const loc = sim.scenario === "one" ? REGION_LOCS[KEYS.home[key]][pick(REGION_CDF[KEYS.home[key]], sim.random())] : pick(LOC_CDF, sim.random());
    const req = { key, loc, iso: Math.floor(sim.random() * ISOLATES[loc]), t0: t };
    if (measuring(sim, t)) sim.count.requests++;
    sim.heap.push(t, arrive, req);
    sim.heap.push(t, gen);
  };
  sim.heap.push(0, gen);
}

/**
 * Mutations (revocation, tier change…) at random measured moments on Zipf-drawn keys: at each,
 * `barrier(key, t)` says how long until no request anywhere is admitted under the old state,
 * counted from the moment the mutation reaches the key's object (the D1 write is not modelled).
 */
export function scheduleMutationProbes(sim, barrier) {
  for (let i = 0; i < P.probes; i++) {
    const at = sim.warmMs + sim.random() * (sim.endMs - sim.warmMs);
    const key = pick(KEYS.cdf, sim.random());
    sim.heap.push(at, (tp) => sim.barriers.push(barrier(key, tp)));
  }
}
