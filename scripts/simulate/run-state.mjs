// The state of one run (a strategy in a scenario) that every part of the model reads and writes:
// the event queue, the counters the report is made of, the objects and isolates created so far, and
// the "truth" of what was served. Kept in one plain object passed around instead of module globals,
// so each run starts from nothing and runs cannot leak into each other.
import { P } from "./params.mjs";
import { KEYS } from "./keys.mjs";
import { LOC, REGIONS } from "./locations.mjs";
import { EventHeap } from "./event-heap.mjs";
import { rng } from "./random.mjs";
import { Window } from "./sliding-window.mjs";

/**
 * @param strategy "object" (one object per key, every request calls it), "leases" (isolates lease
 *   from the key's object), "regional" (isolates lease from a per-region holder that leases from the
 *   key's object) or "kv" (the foil: counts in eventually consistent KV)
 * @param scenario "one" (a key's traffic comes from its home continent) or "all" (from everywhere)
 */
export function newRun(strategy, scenario) {
  return {
    strategy,
    scenario,
    // Its own stream per (strategy, scenario), so each run's draws do not depend on the others'.
    random: rng(P.seed * 31 + (strategy.length * 7 + scenario.length) * 1013),
    heap: new EventHeap(),
    endMs: P.seconds * 1000,
    warmMs: P.warmup * 1000,
    useLeases: strategy === "leases" || strategy === "regional",
    latency: REGIONS.map(() => []), // added ms per region of the caller
    all: [], // added ms, every region
    // Counted only after warm-up, except where noted.
    count: {
      requests: 0,
      keyObjectCalls: 0,
      holderCalls: 0,
      leaseGrants: 0, // by a key's object (each writes leases_until)
      kvReads: 0,
      kvWrites: 0,
      admitted: 0,
      refused: 0,
      overAdmitted: 0,
    },
    objects: new Map(), // id → object (key objects "k<key>", regional holders "h<key>:<region>")
    isolates: new Map(), // `${loc}:${isolate}` → Map(key → state)
    truth: new Map(), // key → Window of what was really served (over-admission check)
    kvState: new Map(), // the foil: key → Map(loc → {snapshot, at, local, lastWrite})
    barriers: [], // mutation-to-effect delays, ms
  };
}

/** Whether time `t` is past the warm-up, i.e. counts in the results. */
export const measuring = (sim, t) => t >= sim.warmMs;

/** One request of `key` admitted at `t`, wherever it was decided: checked against the key's limit. */
export function serve(sim, key, t) {
  let w = sim.truth.get(key);
  if (!w) sim.truth.set(key, (w = new Window(key)));
  w.add(t, 1);
  if (w.count(t) > KEYS.limit[key] && measuring(sim, t)) sim.count.overAdmitted++;
  if (measuring(sim, t)) sim.count.admitted++;
}

/** The caller gets its answer at `t`: records the latency the admission path added. */
export function done(sim, req, t, ok) {
  if (!measuring(sim, req.t0)) return;
  const added = t - req.t0;
  sim.latency[LOC[req.loc].region].push(added);
  sim.all.push(added);
  if (!ok) sim.count.refused++;
}
