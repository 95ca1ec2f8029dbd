// One run: a strategy in a scenario, from an empty network to its summary (latency per region, calls
// and KV operations per request, over-admission, the busiest object, mutation-to-effect).
import { arrive } from "./isolate-client.mjs";
import { arriveKv, kvBarrier } from "./kv-foil.mjs";
import { quantile } from "./random.mjs";
import { newRun } from "./run-state.mjs";
import { scheduleMutationProbes, scheduleRequests } from "./traffic.mjs";

/** See newRun for `strategy` and `scenario`. */
export function run(strategy, scenario) {
  const sim = newRun(strategy, scenario);
  const kv = strategy === "kv";
  scheduleRequests(sim, kv ? (t, req) => arriveKv(sim, t, req) : (t, req) => arrive(sim, t, req));
  // Under leases a mutation waits for every lease granted under the old state (the revocation
  // barrier); without leases out, it applies at once.
  scheduleMutationProbes(sim, kv ? (key, tp) => kvBarrier(sim, key, tp) : (key, tp) => {
    const o = sim.objects.get(`k${key}`);
    return o ? Math.max(0, o.leasesUntil - tp) : 0;
  });

  while (sim.heap.size) {
    const e = sim.heap.pop();
    e.fn(e.t, e.a, e.b);
  }
  return summarize(sim);
}

function summarize(sim) {
  const { count } = sim;
  const sorted = (a) => Float64Array.from(a).sort();
  const measuredMs = sim.endMs - sim.warmMs;
  let hottest = 0;
  for (const o of sim.objects.values()) hottest = Math.max(hottest, o.busy / measuredMs);
  const b = sorted(sim.barriers);
  const allSorted = sorted(sim.all);
  return {
    strategy: sim.strategy,
    scenario: sim.scenario,
    requests: count.requests,
    admitted: count.admitted,
    refused: count.refused,
    overAdmitted: count.overAdmitted,
    keyObjectCalls: count.keyObjectCalls / count.requests,
    holderCalls: count.holderCalls / count.requests,
    leaseGrants: count.leaseGrants / count.requests,
    doCalls: (count.keyObjectCalls + count.holderCalls) / count.requests,
    kvReads: count.kvReads / count.requests,
    kvWrites: count.kvWrites / count.requests,
    hottest,
    regions: sim.latency.map((l) => {
      const s = sorted(l);
      return { n: s.length, p50: quantile(s, 0.5), p99: quantile(s, 0.99) };
    }),
    p50: quantile(allSorted, 0.5),
    p99: quantile(allSorted, 0.99),
    barrier: { p50: quantile(b, 0.5), p99: quantile(b, 0.99), max: b.length ? b[b.length - 1] : 0 },
  };
}
