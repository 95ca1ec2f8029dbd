#!/usr/bin/env node
// `npm run simulate`: a discrete-event model of Keyward's admission path on a global network. No
// network access, no dependencies, deterministic (seeded PRNG). It compares the strategies an
// operator can run (one Durable Object per key; token leases; regional lease holders; and, as a
// foil, eventually consistent counting in KV), prints the tables and the cost per million verified
// requests, writes docs/simulate.md (the tables) and docs/simulate.svg (the plot).
//
// Everything here is an approximation, stated where it is made; README "Global model" lists it.
// Knobs (environment, see params.mjs): SIM_SEED, SIM_RPS, SIM_SECONDS, SIM_WARMUP, SIM_KEYS,
// SIM_ZIPF, SIM_LEASE_MS, SIM_ISOLATE_RPS, SIM_INFLATION, SIM_OUT (directory for the .md/.svg,
// default docs).
//
// The parts, in the order a request meets them:
//   params.mjs, random.mjs          knobs and seeded sampling
//   locations.mjs, keys.mjs         the network (RTTs, object hosts, isolates) and the key population
//   traffic.mjs                     the request stream and the mutation probes
//   isolate-client.mjs              the isolate's side (src/limiter/client.ts): local answers, single flight
//   durable-objects.mjs             placement, queuing and the key object's decision (with sliding-window.mjs, demand.mjs)
//   regional-holder.mjs, kv-foil.mjs  strategies (c) and (d)
//   run.mjs, run-state.mjs          one run and its summary; event-heap.mjs orders its events
//   cost.mjs, report.mjs, plot-svg.mjs  prices, the Markdown tables and the plot
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { OUT_DIR } from "./params.mjs";
import { plotSvg } from "./plot-svg.mjs";
import { reportLines } from "./report.mjs";
import { run } from "./run.mjs";

const started = performance.now();
const results = [];
for (const scenario of ["one", "all"]) for (const strategy of ["object", "leases", "regional", "kv"]) results.push(run(strategy, scenario));
const elapsed = ((performance.now() - started) / 1000).toFixed(1);

const stamp = `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${cpus().length} × ${cpus()[0]?.model.trim() ?? "CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}; \`npm run simulate\` took ${elapsed} s`;
const text = reportLines(results, stamp).join("\n");
console.log(text);

mkdirSync(OUT_DIR, { recursive: true });
writeFileSync(join(OUT_DIR, "simulate.md"), `# \`npm run simulate\` results\n\n${text}\n`);
writeFileSync(join(OUT_DIR, "simulate.svg"), `${plotSvg(results, stamp)}\n`);
console.error(`wrote ${join(OUT_DIR, "simulate.md")} and ${join(OUT_DIR, "simulate.svg")}`);
