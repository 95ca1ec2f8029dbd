// The Markdown tables of docs/simulate.md (also printed): the model's inputs, added latency per
// region, calls and correctness per strategy, and the cost per million verified requests. Only
// formatting lives here; every number comes from run() or cost.mjs.
import { P } from "./params.mjs";
import { ANCHORS, DO_HOSTS, ISOLATES, N, REGIONS } from "./locations.mjs";
import { costRow, flushesPerRequest } from "./cost.mjs";

export const NAMES = { object: "(a) one object per key", leases: "(b) leases", regional: "(c) regional lease holders", kv: "(d) KV counting (foil)" };
export const SCEN = { one: "key used from one continent", all: "key used from all continents" };
/** Milliseconds as the tables show them: one decimal below 10, none above, "–" for no sample. */
export const ms = (x) => (Number.isFinite(x) ? (x < 10 ? x.toFixed(1) : x.toFixed(0)) : "–");
const fixed = (x, d = 3) => x.toFixed(d);
const dollars = (x) => `$${(x * 1e6).toFixed(3)}`;

/** The report's lines for `results` (every strategy × scenario), ending with "Produced `stamp`.". */
export function reportLines(results, stamp) {
  const lines = [];
  const out = (s = "") => lines.push(s);
  out(`Model: ${N} locations (${ANCHORS.length} metros, ${DO_HOSTS.length} host Durable Objects), RTT = ${P.baseRttMs} ms + 2 × great-circle × ${P.inflation} / ${P.fibreKmPerMs} km/ms;`);
  out(`${P.keys.toLocaleString("en")} keys, Zipf s = ${P.zipf}, ${P.rps.toLocaleString("en")} verified requests/s worldwide, ${P.seconds - P.warmup} s measured after ${P.warmup} s warm-up;`);
  out(`GUARD_LEASE_MS = ${P.leaseMs}, one isolate per ${P.isolateRps} req/s of a location's traffic (${ISOLATES.reduce((a, b) => a + b, 0)} isolates), object service ${P.doServiceMs} ms, seed ${P.seed}.`);
  out();
  out("Added latency (ms) per region of the caller, p50 / p99:");
  out();
  for (const scenario of ["one", "all"]) {
    out(`*${SCEN[scenario]}*`);
    out();
    out(`| strategy | ${REGIONS.join(" | ")} | all |`);
    out(`|---|${REGIONS.map(() => "---:").join("|")}|---:|`);
    for (const r of results.filter((x) => x.scenario === scenario))
      out(`| ${NAMES[r.strategy]} | ${r.regions.map((g) => `${ms(g.p50)} / ${ms(g.p99)}`).join(" | ")} | ${ms(r.p50)} / ${ms(r.p99)} |`);
    out();
  }
  out("Per strategy: Durable Object requests per verified request (key objects + regional holders), KV operations, over-admission, busiest object, mutation-to-effect:");
  out();
  out("| scenario | strategy | DO requests / request | KV reads · writes / request | over-admitted | refused (429) | busiest object busy | mutation-to-effect p50 / p99 / max |");
  out("|---|---|---:|---:|---:|---:|---:|---:|");
  for (const r of results)
    out(
      `| ${r.scenario === "one" ? "one continent" : "all continents"} | ${NAMES[r.strategy]} | ${fixed(r.doCalls)}${r.strategy === "regional" ? ` (${fixed(r.keyObjectCalls)} + ${fixed(r.holderCalls)})` : ""} | ${fixed(r.kvReads)} · ${fixed(r.kvWrites)} | ${r.overAdmitted.toLocaleString("en")} of ${r.admitted.toLocaleString("en")} | ${r.refused.toLocaleString("en")} | ${(r.hottest * 100).toFixed(0)} % | ${ms(r.barrier.p50)} / ${ms(r.barrier.p99)} / ${ms(r.barrier.max)} ms |`,
    );
  out();
  // The lease rows: the bench's measured rate on one machine beside the model's, so a reader sees
  // how much the answer depends on how thinly traffic is spread over isolates.
  const leasesSim = results.filter((r) => r.strategy === "leases");
  const simLeaseCalls = leasesSim.reduce((s, r) => s + r.doCalls, 0) / leasesSim.length;
  const simLeaseGrants = leasesSim.reduce((s, r) => s + r.leaseGrants, 0) / leasesSim.length;
  const costs = [
    costRow("strict (`GUARD_LEASE_MS=0`): 1 object call per request", 1),
    costRow("default (leases), as benchmarked (0.06 calls/request, `npm run bench`)", 0.06, { leaseGrants: 0.06 }),
    costRow(`default (leases), as modelled here (${fixed(simLeaseCalls)} calls/request, mean of both scenarios)`, simLeaseCalls, { leaseGrants: simLeaseGrants }),
    costRow("a cold request (KV read + object call)", 1, { kvReads: 1 }),
  ];
  out(`Cost per million verified requests (USD, marginal, Workers Paid beyond the included usage; ${fixed(flushesPerRequest(), 4)} minute flushes per request from the key distribution above):`);
  out();
  out("| mode | Workers | DO requests | DO duration | DO storage writes | KV | D1 | total |");
  out("|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const c of costs)
    out(`| ${c.name} | ${dollars(c.parts.workers)} | ${dollars(c.parts.doRequests)} | ${dollars(c.parts.doDuration)} | ${dollars(c.parts.doStorage)} | ${dollars(c.parts.kv)} | ${dollars(c.parts.d1)} | **${dollars(c.total)}** |`);
  out();
  out(`Produced ${stamp}.`);
  return lines;
}
