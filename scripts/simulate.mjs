#!/usr/bin/env node
// `npm run simulate`: a discrete-event model of Keyward's admission path on a global network. No
// network access, no dependencies, deterministic (seeded PRNG). It compares the strategies an
// operator can run (one Durable Object per key; token leases; regional lease holders; and, as a
// foil, eventually consistent counting in KV), prints the tables and the cost per million verified
// requests, writes docs/simulate.md (the tables) and docs/simulate.svg (the plot).
//
// Everything here is an approximation, stated where it is made; README "Global model" lists it.
// Knobs (environment): SIM_SEED, SIM_RPS, SIM_SECONDS, SIM_WARMUP, SIM_KEYS, SIM_ZIPF, SIM_LEASE_MS,
// SIM_ISOLATE_RPS, SIM_INFLATION, SIM_OUT (directory for the .md/.svg, default docs).
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";

const num = (name, fallback) => (process.env[name] !== undefined ? Number(process.env[name]) : fallback);
const P = {
  seed: num("SIM_SEED", 1),
  rps: num("SIM_RPS", 5_000), // global verified requests per second
  seconds: num("SIM_SECONDS", 30), // simulated seconds, warm-up included
  warmup: num("SIM_WARMUP", 5), // seconds not measured (objects get placed, isolates learn demand)
  keys: num("SIM_KEYS", 100_000),
  zipf: num("SIM_ZIPF", 1.1),
  leaseMs: num("SIM_LEASE_MS", 1_000), // GUARD_LEASE_MS
  isolateRps: num("SIM_ISOLATE_RPS", 100), // requests/s one isolate serves; a location spreads its traffic over rps/this isolates
  inflation: num("SIM_INFLATION", 1.6), // route length over great-circle distance
  fibreKmPerMs: 200, // light in fibre: ~2/3 c
  baseRttMs: 2, // any hop, even inside one location
  doServiceMs: 1, // one call's work inside an object (Cloudflare: ~1 000 simple requests/s per object)
  overLimitShare: 0.1, // keys whose traffic exceeds their tier
  probes: 2_000, // mutations sampled per run
  kvRefreshMs: 60_000, // KV cacheTtl for the foil (minimum is 30 s; 60 s is the usual choice)
};
// The same bounds as src/limiter/guard-leases.ts and leases.ts.
const MAX_LEASE_TOKENS = 16;
const LEASE_MIN_DEMAND = 4;
const HOLDER_MAX_TOKENS = 256; // a regional holder serves a whole region: a bigger cap (assumption)
const WINDOW_MS = 60_000; // every key's tier: one limit per minute
const BUCKET_MS = WINDOW_MS / 60; // src/limiter: a window counts 60 buckets
const BUCKETS = 60;

// ---------------------------------------------------------------------------------------------
// Seeded PRNG (mulberry32) and helpers.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = (cdf, u) => {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};
const cdfOf = (weights) => {
  const cdf = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => (cdf[i] = sum += w));
  for (let i = 0; i < cdf.length; i++) cdf[i] /= sum;
  return cdf;
};
const quantile = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);

// ---------------------------------------------------------------------------------------------
// Locations. A hand-written list of metros where Cloudflare has data centers (coordinates of the
// city, traffic weight an estimate of the share of Internet users it serves), expanded to ~300
// points by placing satellites 50–600 km around each anchor. `do`: the metro hosts Durable Objects
// (assumption: the larger metros; Cloudflare runs objects in a subset of its locations).
const REGIONS = ["N. America", "S. America", "Europe", "Africa", "Asia & M. East", "Oceania"];
const [NA, SA, EU, AF, AS, OC] = [0, 1, 2, 3, 4, 5];
const ANCHORS = [
  ["Ashburn", 39.04, -77.49, NA, 6], ["New York", 40.71, -74.01, NA, 5], ["Chicago", 41.88, -87.63, NA, 4],
  ["Dallas", 32.78, -96.8, NA, 4], ["Los Angeles", 34.05, -118.24, NA, 5], ["San Jose", 37.34, -121.89, NA, 4],
  ["Seattle", 47.61, -122.33, NA, 3], ["Atlanta", 33.75, -84.39, NA, 3], ["Miami", 25.76, -80.19, NA, 3],
  ["Denver", 39.74, -104.99, NA, 2], ["Toronto", 43.65, -79.38, NA, 3], ["Montréal", 45.5, -73.57, NA, 1.5],
  ["Vancouver", 49.28, -123.12, NA, 1.5], ["Mexico City", 19.43, -99.13, NA, 2], ["Phoenix", 33.45, -112.07, NA, 1.5],
  ["São Paulo", -23.55, -46.63, SA, 4], ["Rio de Janeiro", -22.91, -43.17, SA, 1.5], ["Buenos Aires", -34.6, -58.38, SA, 2],
  ["Santiago", -33.45, -70.67, SA, 1.5], ["Lima", -12.05, -77.04, SA, 1], ["Bogotá", 4.71, -74.07, SA, 1.5],
  ["Fortaleza", -3.73, -38.52, SA, 0.7],
  ["London", 51.51, -0.13, EU, 5], ["Frankfurt", 50.11, 8.68, EU, 5], ["Amsterdam", 52.37, 4.9, EU, 4],
  ["Paris", 48.86, 2.35, EU, 4], ["Madrid", 40.42, -3.7, EU, 2], ["Milan", 45.46, 9.19, EU, 2],
  ["Stockholm", 59.33, 18.07, EU, 1.5], ["Warsaw", 52.23, 21.01, EU, 1.5], ["Vienna", 48.21, 16.37, EU, 1],
  ["Dublin", 53.35, -6.26, EU, 1.5], ["Zürich", 47.38, 8.54, EU, 1], ["Helsinki", 60.17, 24.94, EU, 0.8],
  ["Bucharest", 44.43, 26.1, EU, 0.8], ["Istanbul", 41.01, 28.98, EU, 1.5], ["Lisbon", 38.72, -9.14, EU, 0.8],
  ["Johannesburg", -26.2, 28.05, AF, 1.5], ["Cape Town", -33.92, 18.42, AF, 0.7], ["Lagos", 6.52, 3.38, AF, 1],
  ["Nairobi", -1.29, 36.82, AF, 0.8], ["Cairo", 30.04, 31.24, AF, 1], ["Casablanca", 33.57, -7.59, AF, 0.5],
  ["Accra", 5.6, -0.19, AF, 0.4],
  ["Tokyo", 35.68, 139.69, AS, 5], ["Osaka", 34.69, 135.5, AS, 1.5], ["Seoul", 37.57, 126.98, AS, 2.5],
  ["Hong Kong", 22.32, 114.17, AS, 3], ["Singapore", 1.35, 103.82, AS, 4], ["Mumbai", 19.08, 72.88, AS, 3],
  ["Chennai", 13.08, 80.27, AS, 1.5], ["New Delhi", 28.61, 77.21, AS, 2], ["Taipei", 25.03, 121.57, AS, 1.5],
  ["Jakarta", -6.21, 106.85, AS, 2], ["Bangkok", 13.76, 100.5, AS, 1.5], ["Kuala Lumpur", 3.14, 101.69, AS, 1],
  ["Manila", 14.6, 120.98, AS, 1], ["Dubai", 25.2, 55.27, AS, 1.5], ["Tel Aviv", 32.09, 34.78, AS, 1],
  ["Riyadh", 24.71, 46.68, AS, 0.8], ["Karachi", 24.86, 67.01, AS, 0.8], ["Ho Chi Minh City", 10.82, 106.63, AS, 0.8],
  ["Sydney", -33.87, 151.21, OC, 2], ["Melbourne", -37.81, 144.96, OC, 1.2], ["Brisbane", -27.47, 153.03, OC, 0.6],
  ["Perth", -31.95, 115.86, OC, 0.5], ["Auckland", -36.85, 174.76, OC, 0.6],
];
const TARGET_LOCATIONS = 300;
const DO_HOST_MIN_WEIGHT = 1.5;
// Central stores a KV miss reads from (the foil only; assumption: two, as "a small number").
const KV_CENTRAL = ["Ashburn", "Frankfurt"];

function buildLocations() {
  const random = rng(P.seed * 7919 + 1);
  const totalWeight = ANCHORS.reduce((s, a) => s + a[4], 0);
  const locations = [];
  for (const [name, lat, lon, region, weight] of ANCHORS) {
    const count = Math.max(1, Math.round((TARGET_LOCATIONS * weight) / totalWeight));
    for (let i = 0; i < count; i++) {
      let la = lat;
      let lo = lon;
      if (i > 0) {
        const distance = 50 + random() * 550;
        const bearing = random() * 2 * Math.PI;
        la = lat + (distance / 111) * Math.cos(bearing);
        lo = lon + ((distance / 111) * Math.sin(bearing)) / Math.cos((lat * Math.PI) / 180);
      }
      locations.push({
        name: i === 0 ? name : `${name} +${i}`,
        lat: la,
        lon: lo,
        region,
        weight: (weight / count) * (0.5 + random()),
        doHost: i === 0 && weight >= DO_HOST_MIN_WEIGHT,
        kvCentral: i === 0 && KV_CENTRAL.includes(name),
      });
    }
  }
  return locations;
}

const toRad = (d) => (d * Math.PI) / 180;
function greatCircleKm(a, b) {
  const dLat = toRad(b.lat - a.lat);
  const dLon = toRad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(toRad(a.lat)) * Math.cos(toRad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

const LOC = buildLocations();
const N = LOC.length;
// RTT (ms) = base + 2 × great-circle distance × route inflation / (speed of light in fibre).
const RTT = new Float64Array(N * N);
for (let i = 0; i < N; i++)
  for (let j = 0; j < N; j++) RTT[i * N + j] = P.baseRttMs + (2 * greatCircleKm(LOC[i], LOC[j]) * P.inflation) / P.fibreKmPerMs;
const rtt = (a, b) => RTT[a * N + b];
const DO_HOSTS = LOC.map((l, i) => (l.doHost ? i : -1)).filter((i) => i >= 0);
const nearestOf = (hosts, from) => hosts.reduce((best, h) => (rtt(from, h) < rtt(from, best) ? h : best), hosts[0]);
const NEAREST_DO_HOST = LOC.map((_, i) => nearestOf(DO_HOSTS, i));
const KV_HOSTS = LOC.map((l, i) => (l.kvCentral ? i : -1)).filter((i) => i >= 0);
const NEAREST_KV = LOC.map((_, i) => nearestOf(KV_HOSTS, i));
const LOC_CDF = cdfOf(LOC.map((l) => l.weight));
const REGION_LOCS = REGIONS.map((_, r) => LOC.map((l, i) => (l.region === r ? i : -1)).filter((i) => i >= 0));
const REGION_CDF = REGION_LOCS.map((ids) => cdfOf(ids.map((i) => LOC[i].weight)));
const REGION_WEIGHT = REGIONS.map((_, r) => REGION_LOCS[r].reduce((s, i) => s + LOC[i].weight, 0));
const TOTAL_WEIGHT = REGION_WEIGHT.reduce((a, b) => a + b, 0);
// Isolates per location: its share of the traffic over what one isolate serves (at least one).
const ISOLATES = LOC.map((l) => Math.max(1, Math.round((P.rps * l.weight) / TOTAL_WEIGHT / P.isolateRps)));

// ---------------------------------------------------------------------------------------------
// Keys: Zipf-distributed traffic; a tier sized to each key's traffic (most keys well inside it, a
// tenth of them above it); a home continent drawn by traffic share.
function buildKeys() {
  const random = rng(P.seed * 104729 + 2);
  const shares = Array.from({ length: P.keys }, (_, k) => 1 / (k + 1) ** P.zipf);
  const cdf = cdfOf(shares);
  const total = shares.reduce((a, b) => a + b, 0);
  const regionCdf = cdfOf(REGION_WEIGHT);
  const rate = new Float64Array(P.keys);
  const limit = new Int32Array(P.keys);
  const home = new Int8Array(P.keys);
  for (let k = 0; k < P.keys; k++) {
    rate[k] = (P.rps * shares[k]) / total;
    const factor = random() < P.overLimitShare ? 0.5 + random() * 0.4 : 2 + random() * 2;
    limit[k] = Math.max(60, Math.floor(rate[k] * 60 * factor));
    home[k] = pick(regionCdf, random());
  }
  return { cdf, rate, limit, home };
}
const KEYS = buildKeys();

// ---------------------------------------------------------------------------------------------
// A bucketed sliding window (60 buckets of 1 s for a one-minute limit), as src/limiter counts.
class Window {
  /** Prefilled as if `key` had been running at its rate (capped at its limit) for the minute before 0. */
  constructor(key) {
    this.ids = new Float64Array(BUCKETS).fill(-Infinity);
    this.counts = new Int32Array(BUCKETS);
    const per = Math.min((KEYS.rate[key] * BUCKET_MS) / 1000, KEYS.limit[key] / BUCKETS);
    for (let i = 0; i < BUCKETS - 1; i++) {
      const id = i - (BUCKETS - 1);
      const slot = ((id % BUCKETS) + BUCKETS) % BUCKETS;
      this.ids[slot] = id;
      this.counts[slot] = Math.floor((i + 1) * per) - Math.floor(i * per);
    }
  }
  count(now) {
    const b = Math.floor(now / BUCKET_MS);
    let sum = 0;
    for (let i = 0; i < BUCKETS; i++) if (this.ids[i] > b - BUCKETS) sum += this.counts[i];
    return sum;
  }
  add(now, n) {
    const b = Math.floor(now / BUCKET_MS);
    const slot = ((b % BUCKETS) + BUCKETS) % BUCKETS;
    if (this.ids[slot] !== b) {
      this.ids[slot] = b;
      this.counts[slot] = 0;
    }
    this.counts[slot] += n;
  }
  /** ms until `cost` more fit under `limit`. */
  retryAfter(now, limit, cost) {
    const b = Math.floor(now / BUCKET_MS);
    let excess = this.count(now) + cost - limit;
    for (let id = b - BUCKETS + 1; id <= b; id++) {
      const slot = ((id % BUCKETS) + BUCKETS) % BUCKETS;
      if (this.ids[slot] === id) excess -= this.counts[slot];
      if (excess <= 0) return (id + BUCKETS) * BUCKET_MS - now;
    }
    return WINDOW_MS;
  }
}
const bucketEnd = (now) => (Math.floor(now / BUCKET_MS) + 1) * BUCKET_MS;

// ---------------------------------------------------------------------------------------------
// A binary heap of events ordered by time (ties: insertion order).
class Heap {
  constructor() {
    this.items = [];
    this.seq = 0;
  }
  push(t, fn, a, b) {
    const item = { t, s: this.seq++, fn, a, b };
    const h = this.items;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].t < t || (h[p].t === t && h[p].s < item.s)) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = item;
  }
  pop() {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && (h[r].t < h[l].t || (h[r].t === h[l].t && h[r].s < h[l].s)) ? r : l;
        if (h[c].t > last.t || (h[c].t === last.t && h[c].s > last.s)) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
  get size() {
    return this.items.length;
  }
}

// ---------------------------------------------------------------------------------------------
// One run: a strategy in a scenario.
//   strategy: "object" (one object per key, every request calls it), "leases" (isolates lease from
//   the key's object), "regional" (isolates lease from a per-region holder that leases from the
//   key's object), "kv" (the foil: counts in eventually consistent KV).
//   scenario: "one" (a key's traffic comes from its home continent) or "all" (from everywhere).
function run(strategy, scenario) {
  const random = rng(P.seed * 31 + (strategy.length * 7 + scenario.length) * 1013);
  const heap = new Heap();
  const endMs = P.seconds * 1000;
  const warmMs = P.warmup * 1000;
  const useLeases = strategy === "leases" || strategy === "regional";
  const L = P.leaseMs;

  const latency = REGIONS.map(() => []);
  const all = [];
  let requests = 0; // measured (after warm-up)
  let keyObjectCalls = 0;
  let holderCalls = 0;
  let leaseGrants = 0; // by a key's object (each writes leases_until)
  let kvReads = 0;
  let kvWrites = 0;
  let admitted = 0;
  let refused = 0;
  let overAdmitted = 0;
  const objects = new Map(); // id → object
  const isolates = new Map(); // `${loc}:${isolate}` → Map(key → state)
  const truth = new Map(); // key → Window of what was really served (over-admission check)
  const barriers = [];

  const measuring = (t) => t >= warmMs;
  const serve = (key, t) => {
    let w = truth.get(key);
    if (!w) truth.set(key, (w = new Window(key)));
    w.add(t, 1);
    if (w.count(t) > KEYS.limit[key] && measuring(t)) overAdmitted++;
    if (measuring(t)) admitted++;
  };
  const done = (req, t, ok) => {
    if (!measuring(req.t0)) return;
    const added = t - req.t0;
    latency[LOC[req.loc].region].push(added);
    all.push(added);
    if (!ok) refused++;
  };

  // Objects: placed at the Durable-Object host nearest to the location of their first call.
  const objectOf = (id, from, make) => {
    let o = objects.get(id);
    if (!o) {
      o = { id, loc: NEAREST_DO_HOST[from], busyUntil: 0, busy: 0, ...make() };
      objects.set(id, o);
    }
    return o;
  };
  const keyObject = (key, from) => objectOf(`k${key}`, from, () => ({ key, window: new Window(key), leasesUntil: 0 }));
  const holderObject = (key, region, from) =>
    objectOf(`h${key}:${region}`, from, () => ({ key, region, tokens: 0, expiresAt: 0, inflight: null, waiters: [], blockedUntil: 0, demand: { second: 0, current: 0, previous: 0 } }));

  // Sends `call` from location `from` to object `o`; it is decided when the object gets to it
  // (one at a time, doServiceMs each), and `reply(t, verdict)` runs back at the caller.
  const callObject = (t, from, o, decide, reply) => {
    if (o.id[0] === "k") keyObjectCalls += measuring(t) ? 1 : 0;
    else holderCalls += measuring(t) ? 1 : 0;
    const oneWay = rtt(from, o.loc) / 2;
    heap.push(t + oneWay, (ta) => {
      const start = Math.max(ta, o.busyUntil);
      o.busyUntil = start + P.doServiceMs;
      if (measuring(start)) o.busy += P.doServiceMs;
      heap.push(start, (ts) => {
        const verdict = decide(ts);
        heap.push(ts + P.doServiceMs + oneWay, (tr) => reply(tr, verdict));
      });
    });
  };

  // The key's object: admits `cost` and grants a lease of up to `ask` tokens (guard-leases.ts).
  const decideAtKey = (o, ts, cost, ask, maxTokens) => {
    const limit = KEYS.limit[o.key];
    if (o.window.count(ts) + cost > limit) return { ok: false, retryAt: ts + o.window.retryAfter(ts, limit, cost) };
    o.window.add(ts, cost);
    for (let i = 0; i < cost; i++) serve(o.key, ts);
    if (ask <= 0) return { ok: true };
    const expiresAt = Math.min(ts + L, bucketEnd(ts));
    const spare = Math.floor((limit - o.window.count(ts)) / 10);
    const tokens = Math.min(maxTokens, Math.ceil((ask * (expiresAt - ts)) / L), spare);
    if (tokens <= 0) return { ok: true };
    o.window.add(ts, tokens);
    o.leasesUntil = Math.max(o.leasesUntil, expiresAt);
    if (measuring(ts)) leaseGrants++;
    return { ok: true, lease: { tokens, expiresAt } };
  };

  // Demand per second, as leases.ts counts it.
  const countDemand = (d, t, n = 1) => {
    const second = Math.floor(t / 1000);
    if (d.second !== second) {
      d.previous = d.second === second - 1 ? d.current : 0;
      d.current = 0;
      d.second = second;
    }
    d.current += n;
    const expected = Math.max(d.previous, d.current);
    return expected >= LEASE_MIN_DEMAND ? expected : 0;
  };

  // The regional holder: spends its own leased tokens, refills from the key's object (single flight).
  const decideAtHolder = (h, ts, ask, answer) => {
    const wanted = countDemand(h.demand, ts, 1 + ask);
    if (h.blockedUntil > ts) return answer(ts, { ok: false, retryAt: h.blockedUntil });
    if (h.tokens >= 1 && h.expiresAt > ts) {
      h.tokens -= 1;
      serve(h.key, ts);
      const give = Math.min(ask, h.tokens, MAX_LEASE_TOKENS);
      h.tokens -= give;
      return answer(ts, { ok: true, lease: give > 0 ? { tokens: give, expiresAt: h.expiresAt } : undefined });
    }
    if (h.inflight) return h.waiters.push({ ask, answer });
    const refill = wanted > 0 ? Math.ceil((wanted * L) / 1000) : 0;
    const keyObj = keyObject(h.key, h.loc);
    const flight = {};
    if (refill > 0) h.inflight = flight;
    callObject(ts, h.loc, keyObj, (tk) => decideAtKey(keyObj, tk, 1, refill, HOLDER_MAX_TOKENS), (tr, verdict) => {
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
      for (const w of waiters) decideAtHolder(h, tr, w.ask, w.answer);
    });
  };

  // The isolate's side (client.ts): a remembered full window, leased tokens, single flight.
  const isolateState = (req) => {
    const id = `${req.loc}:${req.iso}`;
    let keys = isolates.get(id);
    if (!keys) isolates.set(id, (keys = new Map()));
    let st = keys.get(req.key);
    if (!st)
      keys.set(req.key, (st = { tokens: 0, expiresAt: 0, inflight: null, waiters: [], blockedUntil: 0, lastReport: -Infinity, demand: { second: 0, current: 0, previous: 0 } }));
    return st;
  };
  const answerLocally = (t, req, st) => {
    if (st.blockedUntil > t) {
      // Its own 429s reach the object in one report a second (a call nobody waits for).
      if (t - st.lastReport >= 1000) {
        st.lastReport = t;
        if (measuring(t)) strategy === "regional" ? holderCalls++ : keyObjectCalls++;
      }
      done(req, t, false);
      return true;
    }
    if (st.tokens >= 1 && st.expiresAt > t) {
      st.tokens -= 1;
      serve(req.key, t);
      done(req, t, true);
      return true;
    }
    return false;
  };
  const askGuard = (t, req, st, wanted) => {
    const ask = wanted > 0 ? Math.ceil((wanted * L) / 1000) : 0;
    const flight = {};
    if (ask > 0) st.inflight = flight;
    const reply = (tr, verdict) => {
      if (!verdict.ok) st.blockedUntil = Math.max(st.blockedUntil, verdict.retryAt);
      if (verdict.lease) {
        const live = st.tokens > 0 && st.expiresAt > tr;
        st.tokens = (live ? st.tokens : 0) + verdict.lease.tokens;
        st.expiresAt = live ? Math.min(st.expiresAt, verdict.lease.expiresAt) : verdict.lease.expiresAt;
      }
      done(req, tr, verdict.ok);
      if (st.inflight === flight) {
        st.inflight = null;
        const waiters = st.waiters;
        st.waiters = [];
        for (const w of waiters) resume(tr, w, st);
      }
    };
    if (strategy === "regional") {
      const h = holderObject(req.key, LOC[req.loc].region, req.loc);
      const oneWay = rtt(req.loc, h.loc) / 2;
      holderCalls += measuring(t) ? 1 : 0;
      heap.push(t + oneWay, (ta) => {
        const start = Math.max(ta, h.busyUntil);
        h.busyUntil = start + P.doServiceMs;
        if (measuring(start)) h.busy += P.doServiceMs;
        heap.push(start, (ts) => decideAtHolder(h, ts, ask, (td, verdict) => heap.push(td + P.doServiceMs + oneWay, (tr) => reply(tr, verdict))));
      });
    } else {
      const o = keyObject(req.key, req.loc);
      callObject(t, req.loc, o, (ts) => decideAtKey(o, ts, 1, ask, MAX_LEASE_TOKENS), reply);
    }
  };
  const resume = (t, req, st) => {
    if (answerLocally(t, req, st)) return;
    if (st.inflight) return st.waiters.push(req);
    const d = st.demand;
    askGuard(t, req, st, useLeases && Math.max(d.previous, d.current) >= LEASE_MIN_DEMAND ? Math.max(d.previous, d.current) : 0);
  };
  const arrive = (t, req) => {
    const st = isolateState(req);
    const wanted = useLeases ? countDemand(st.demand, t) : 0;
    if (answerLocally(t, req, st)) return;
    if (st.inflight) return st.waiters.push(req);
    askGuard(t, req, st, wanted);
  };

  // The foil: each location keeps a KV snapshot of the key's global count for kvRefreshMs and adds
  // what it admitted since; a miss reads from a central store. Writes its count back at most once
  // a second (KV allows 1 write/s per key).
  const kvState = new Map(); // key → Map(loc → {snapshot, at, local, lastWrite})
  const arriveKv = (t, req) => {
    let byLoc = kvState.get(req.key);
    if (!byLoc) kvState.set(req.key, (byLoc = new Map()));
    let s = byLoc.get(req.loc);
    let wait = 0;
    if (!s || t - s.at >= P.kvRefreshMs) {
      const w = truth.get(req.key);
      s = { snapshot: w ? w.count(t) : 0, at: t, local: 0, lastWrite: s?.lastWrite ?? -Infinity };
      byLoc.set(req.loc, s);
      wait = rtt(req.loc, NEAREST_KV[req.loc]);
      if (measuring(t)) kvReads++;
    }
    const ok = s.snapshot + s.local < KEYS.limit[req.key];
    if (ok) {
      s.local++;
      serve(req.key, t);
      if (t - s.lastWrite >= 1000) {
        s.lastWrite = t;
        if (measuring(t)) kvWrites++;
      }
    }
    done(req, t + wait, ok);
  };

  // Traffic: a Poisson process at P.rps; each request a Zipf key, a location by scenario, an isolate.
  let t = 0;
  const gen = () => {
    t += -Math.log(1 - random()) * (1000 / P.rps);
    if (t >= endMs) return;
    const key = pick(KEYS.cdf, random());
    const loc = scenario === "one" ? REGION_LOCS[KEYS.home[key]][pick(REGION_CDF[KEYS.home[key]], random())] : pick(LOC_CDF, random());
    const req = { key, loc, iso: Math.floor(random() * ISOLATES[loc]), t0: t };
    if (measuring(t)) requests++;
    heap.push(t, strategy === "kv" ? arriveKv : arrive, req);
    heap.push(t, gen);
  };
  heap.push(0, gen);

  // Mutations (revocation, tier change…): how long until no request anywhere is admitted under the
  // old state, counted from the moment the mutation reaches the key's object (D1 write not modelled).
  for (let i = 0; i < P.probes; i++) {
    const at = warmMs + random() * (endMs - warmMs);
    const key = pick(KEYS.cdf, random());
    heap.push(at, (tp) => {
      if (strategy === "kv") {
        const byLoc = kvState.get(key);
        let wait = 0;
        for (const s of byLoc?.values() ?? []) wait = Math.max(wait, s.at + P.kvRefreshMs - tp);
        barriers.push(wait);
      } else {
        const o = objects.get(`k${key}`);
        barriers.push(o ? Math.max(0, o.leasesUntil - tp) : 0);
      }
    });
  }

  while (heap.size) {
    const e = heap.pop();
    e.fn(e.t, e.a, e.b);
  }

  const sorted = (a) => Float64Array.from(a).sort();
  const measuredMs = endMs - warmMs;
  let hottest = 0;
  for (const o of objects.values()) hottest = Math.max(hottest, o.busy / measuredMs);
  const b = sorted(barriers);
  const allSorted = sorted(all);
  return {
    strategy,
    scenario,
    requests,
    admitted,
    refused,
    overAdmitted,
    keyObjectCalls: keyObjectCalls / requests,
    holderCalls: holderCalls / requests,
    leaseGrants: leaseGrants / requests,
    doCalls: (keyObjectCalls + holderCalls) / requests,
    kvReads: kvReads / requests,
    kvWrites: kvWrites / requests,
    hottest,
    regions: latency.map((l) => {
      const s = sorted(l);
      return { n: s.length, p50: quantile(s, 0.5), p99: quantile(s, 0.99) };
    }),
    p50: quantile(allSorted, 0.5),
    p99: quantile(allSorted, 0.99),
    barrier: { p50: quantile(b, 0.5), p99: quantile(b, 0.99), max: b.length ? b[b.length - 1] : 0 },
  };
}

// ---------------------------------------------------------------------------------------------
// Cost per million verified requests, on Cloudflare's published Workers Paid prices (beyond the
// included monthly usage; the $5/month plan minimum not spread). Prices as published on
// developers.cloudflare.com (read 2025; check the current pricing pages listed in README).
const PRICE = {
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
  d1RowsPerFlush: 3, // the minute flush: last_used_at, a usage bucket, its sequence (usage/flush.ts)
};
// Active key-minutes per request: each key with traffic in a minute gets one alarm (a DO request) and
// one D1 flush. E[keys active in a minute] = Σ 1 − e^(−60 r).
function flushesPerRequest() {
  let active = 0;
  for (let k = 0; k < P.keys; k++) active += 1 - Math.exp(-60 * KEYS.rate[k]);
  return active / (60 * P.rps);
}
function costRow(name, doCallsPerRequest, extra = {}) {
  const flushes = flushesPerRequest();
  const leaseGrants = extra.leaseGrants ?? 0;
  const parts = {
    workers: PRICE.workerRequest + ASSUME.cpuMs * PRICE.workerCpuMs,
    doRequests: (doCallsPerRequest + flushes) * PRICE.doRequest,
    doDuration: (doCallsPerRequest + flushes) * (ASSUME.doActiveMs / 1000) * ASSUME.doMemoryGb * PRICE.doGbS,
    doStorage: (doCallsPerRequest * ASSUME.rowsPerObjectWrite + leaseGrants * ASSUME.rowsPerLeaseGrant) * PRICE.doRowWritten,
    kv: (extra.kvReads ?? 0) * PRICE.kvRead + (extra.kvWrites ?? 0) * PRICE.kvWrite,
    d1: flushes * ASSUME.d1RowsPerFlush * PRICE.d1RowWritten,
  };
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  return { name, doCallsPerRequest, parts, total };
}

// ---------------------------------------------------------------------------------------------
// Output.
const NAMES = { object: "(a) one object per key", leases: "(b) leases", regional: "(c) regional lease holders", kv: "(d) KV counting (foil)" };
const SCEN = { one: "key used from one continent", all: "key used from all continents" };
const ms = (x) => (Number.isFinite(x) ? (x < 10 ? x.toFixed(1) : x.toFixed(0)) : "–");
const fixed = (x, d = 3) => x.toFixed(d);
const dollars = (x) => `$${(x * 1e6).toFixed(3)}`;

const started = performance.now();
const results = [];
for (const scenario of ["one", "all"]) for (const strategy of ["object", "leases", "regional", "kv"]) results.push(run(strategy, scenario));
const elapsed = ((performance.now() - started) / 1000).toFixed(1);

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
const leasesSim = results.filter((r) => r.strategy === "leases");
const simLeaseCalls = leasesSim.reduce((s, r) => s + r.doCalls, 0) / leasesSim.length;
const simLeaseGrants = leasesSim.reduce((s, r) => s + r.leaseGrants, 0) / leasesSim.length;
const costs = [
  costRow("strict default: 1 object call per request", 1),
  costRow("leases, as benchmarked (0.06 calls/request, `npm run bench`)", 0.06, { leaseGrants: 0.06 }),
  costRow(`leases, as modelled here (${fixed(simLeaseCalls)} calls/request, mean of both scenarios)`, simLeaseCalls, { leaseGrants: simLeaseGrants }),
  costRow("a cold request (KV read + object call)", 1, { kvReads: 1 }),
];
out(`Cost per million verified requests (USD, marginal, Workers Paid beyond the included usage; ${fixed(flushesPerRequest(), 4)} minute flushes per request from the key distribution above):`);
out();
out("| mode | Workers | DO requests | DO duration | DO storage writes | KV | D1 | total |");
out("|---|---:|---:|---:|---:|---:|---:|---:|");
for (const c of costs)
  out(`| ${c.name} | ${dollars(c.parts.workers)} | ${dollars(c.parts.doRequests)} | ${dollars(c.parts.doDuration)} | ${dollars(c.parts.doStorage)} | ${dollars(c.parts.kv)} | ${dollars(c.parts.d1)} | **${dollars(c.total)}** |`);
out();
const stamp = `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${cpus().length} × ${cpus()[0]?.model.trim() ?? "CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}; \`npm run simulate\` took ${elapsed} s`;
out(`Produced ${stamp}.`);

const text = lines.join("\n");
console.log(text);

// The plot: p99 added latency per region, grouped bars per strategy, one panel per scenario.
function svg() {
  const W = 960;
  const panelH = 300;
  const top = 60;
  const left = 70;
  const right = 20;
  const gap = 70;
  const H = top + 2 * panelH + gap + 60;
  const colors = { object: "#d1495b", leases: "#00798c", regional: "#edae49", kv: "#8d99ae" };
  const strategies = ["object", "leases", "regional", "kv"];
  const max = Math.max(...results.flatMap((r) => r.regions.map((g) => g.p99)).filter(Number.isFinite));
  const yMax = Math.ceil(max / 50) * 50;
  const parts = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="600">p99 added latency per region of the caller (ms), by strategy — npm run simulate</text>`);
  strategies.forEach((s, i) => {
    const x = left + i * 220;
    parts.push(`<rect x="${x}" y="36" width="12" height="12" fill="${colors[s]}"/><text x="${x + 18}" y="46">${NAMES[s]}</text>`);
  });
  ["one", "all"].forEach((scenario, p) => {
    const y0 = top + p * (panelH + gap) + 20;
    const plotH = panelH - 40;
    const plotW = W - left - right;
    parts.push(`<text x="${left}" y="${y0 - 6}" font-weight="600">${SCEN[scenario]}</text>`);
    for (let v = 0; v <= yMax; v += yMax / 5) {
      const y = y0 + plotH - (v / yMax) * plotH;
      parts.push(`<line x1="${left}" x2="${W - right}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${left - 6}" y="${y + 4}" text-anchor="end">${v}</text>`);
    }
    const groupW = plotW / REGIONS.length;
    const barW = (groupW - 24) / strategies.length;
    REGIONS.forEach((region, g) => {
      const gx = left + g * groupW + 12;
      strategies.forEach((s, i) => {
        const r = results.find((x) => x.scenario === scenario && x.strategy === s);
        const v = r.regions[g].p99;
        if (!Number.isFinite(v)) return;
        const h = (v / yMax) * plotH;
        const x = gx + i * barW;
        parts.push(`<rect x="${x.toFixed(1)}" y="${(y0 + plotH - h).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${colors[s]}"><title>${NAMES[s]}, ${region}: p99 ${ms(v)} ms</title></rect>`);
      });
      parts.push(`<text x="${gx + (groupW - 24) / 2}" y="${y0 + plotH + 16}" text-anchor="middle">${region}</text>`);
    });
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${y0 + plotH}" y2="${y0 + plotH}" stroke="#333"/>`);
  });
  parts.push(`<text x="${W / 2}" y="${H - 14}" text-anchor="middle" fill="#555">Model, not measurement: ${N} locations, RTT from great-circle distance; ${P.keys.toLocaleString("en")} Zipf keys at ${P.rps.toLocaleString("en")} req/s; seed ${P.seed}. ${stamp.replace(/`/g, "")}</text>`);
  parts.push("</svg>");
  return parts.join("\n").replaceAll("&", "&amp;");
}

const dir = process.env.SIM_OUT ?? "docs";
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, "simulate.md"), `# \`npm run simulate\` results\n\n${text}\n`);
writeFileSync(join(dir, "simulate.svg"), `${svg()}\n`);
console.error(`wrote ${join(dir, "simulate.md")} and ${join(dir, "simulate.svg")}`);
