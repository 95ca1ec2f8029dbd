// Cost per million verified requests, on Cloudflare's published Workers Paid prices (beyond the
// included monthly usage; the $5/month plan minimum not spread). Prices as published on
// developers.cloudflare.com (read 2025; check the current pricing pages listed in README). Kept
// apart from the event model: a price change touches only this file, and the model's call counts
// come in as plain numbers.
import { P } from "./params.mjs";
import { KEYS } from "./keys.mjs";

export const PRICE = {
  workerRequest: 0.3 / 1e6, // Workers Standard: $0.30 per million requests
  workerCpuMs: 0.02 / 1e6, // $0.02 per million CPU ms
  doRequest: 0.15 / 1e6, // Durable Objects: $0.15 per million requests (RPC calls and alarms)
  doGbS: 12.5 / 1e6, // $12.50 per million GB-s of duration
  doRowWritten: 1.0 / 1e6, // SQLite-backed object storage: $1.00 per million rows written
  kvRead: 0.5 / 1e6, // KV: $0.50 per million reads
  kvWrite: 5.0 / 1e6, // KV: $5.00 per million writes
  d1RowWritten: 1.0 / 1e6, // D1: $1.00 per million rows written
  d1RowRead: 0.001 / 1e6, // D1: $0.001 per million rows read
};
// Assumptions (README lists them): what one request uses besides the calls counted above.
const ASSUME = {
  cpuMs: 2, // CPU ms per verified request in the Worker (not measured here; bench measures wall time)
  doActiveMs: 1, // wall time an object is billed per call (it can hibernate between calls)
  doMemoryGb: 0.128, // duration is billed at 128 MB per object
  rowsPerObjectWrite: 3, // the write-behind put: the window's bucket, used_at, usage (key-guard.ts)
  rowsPerLeaseGrant: 1, // leases_until
  d1RowsPerFlush: 5, // the minute flush: the key's row twice (last use, sequence claim), its minute, hour and day buckets (db/usage-batch.ts)
  doRequestsPerFlush: 2, // the flush's alarm, and its call to the key's usage aggregator (usage/submit.ts)
};
// Active key-minutes per request: each key with traffic in a minute gets one alarm and one call to
// its usage aggregator (two DO requests), and its rows in a D1 batch shared with other keys. E[keys active in a minute] = Σ 1 − e^(−60 r).
// Depends only on the key population, so it is computed once.
let perRequest;
export function flushesPerRequest() {
  if (perRequest === undefined) {
    let active = 0;
    for (let k = 0; k < P.keys; k++) active += 1 - Math.exp(-60 * KEYS.rate[k]);
    perRequest = active / (60 * P.rps);
  }
  return perRequest;
}

/**
 * One row of the cost table: `doCallsPerRequest` object calls per verified request, and per request
 * `extra.leaseGrants` (each writes leases_until), `extra.kvReads` and `extra.kvWrites`.
 */
export function costRow(name, doCallsPerRequest, extra = {}) {
  const flushes = flushesPerRequest();
  const leaseGrants = extra.leaseGrants ?? 0;
  const parts = {
    workers: PRICE.workerRequest + ASSUME.cpuMs * PRICE.workerCpuMs,
    doRequests: (doCallsPerRequest + flushes * ASSUME.doRequestsPerFlush) * PRICE.doRequest,
    doDuration: (doCallsPerRequest + flushes * ASSUME.doRequestsPerFlush) * (ASSUME.doActiveMs / 1000) * ASSUME.doMemoryGb * PRICE.doGbS,
    doStorage: (doCallsPerRequest * ASSUME.rowsPerObjectWrite + leaseGrants * ASSUME.rowsPerLeaseGrant) * PRICE.doRowWritten,
    kv: (extra.kvReads ?? 0) * PRICE.kvRead + (extra.kvWrites ?? 0) * PRICE.kvWrite,
    d1: flushes * ASSUME.d1RowsPerFlush * PRICE.d1RowWritten,
  };
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  return { name, doCallsPerRequest, parts, total };
}
