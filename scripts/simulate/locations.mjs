// Where requests come from and how far they travel: Cloudflare-like locations, the round-trip time
// between any two, where Durable Objects and the KV central stores can live, and how many isolates
// each location spreads its traffic over. Built once at import (deterministic from P.seed): every
// run of every strategy sees the same network, so differences between strategies are theirs alone.
import { P } from "./params.mjs";
import { cdfOf, rng } from "./random.mjs";

// A hand-written list of metros where Cloudflare has data centers (coordinates of the city, traffic
// weight an estimate of the share of Internet users it serves), expanded to ~300 points by placing
// satellites 50–600 km around each anchor (Cloudflare does not publish its list in this form).
export const REGIONS = ["N. America", "S. America", "Europe", "Africa", "Asia & M. East", "Oceania"];
const [NA, SA, EU, AF, AS, OC] = [0, 1, 2, 3, 4, 5];
export const ANCHORS = [
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
// `doHost`: the metro hosts Durable Objects (assumption: the larger metros; Cloudflare runs objects
// in a subset of its locations, and which subset is not published).
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

export const LOC = buildLocations();
export const N = LOC.length;
// RTT (ms) = base + 2 × great-circle distance × route inflation / (speed of light in fibre).
// Precomputed as a flat matrix: the event loop asks for it on every call, millions of times a run.
const RTT = new Float64Array(N * N);
for (let i = 0; i < N; i++)
  for (let j = 0; j < N; j++) RTT[i * N + j] = P.baseRttMs + (2 * greatCircleKm(LOC[i], LOC[j]) * P.inflation) / P.fibreKmPerMs;
export const rtt = (a, b) => RTT[a * N + b];

export const DO_HOSTS = LOC.map((l, i) => (l.doHost ? i : -1)).filter((i) => i >= 0);
const nearestOf = (hosts, from) => hosts.reduce((best, h) => (rtt(from, h) < rtt(from, best) ? h : best), hosts[0]);
/** Per location: the object-hosting metro an object first called from there is placed in. */
export const NEAREST_DO_HOST = LOC.map((_, i) => nearestOf(DO_HOSTS, i));
const KV_HOSTS = LOC.map((l, i) => (l.kvCentral ? i : -1)).filter((i) => i >= 0);
/** Per location: the KV central store its misses read from (the foil). */
export const NEAREST_KV = LOC.map((_, i) => nearestOf(KV_HOSTS, i));

// Traffic shares, for drawing a request's location worldwide or within a key's home region.
export const LOC_CDF = cdfOf(LOC.map((l) => l.weight));
export const REGION_LOCS = REGIONS.map((_, r) => LOC.map((l, i) => (l.region === r ? i : -1)).filter((i) => i >= 0));
export const REGION_CDF = REGION_LOCS.map((ids) => cdfOf(ids.map((i) => LOC[i].weight)));
export const REGION_WEIGHT = REGIONS.map((_, r) => REGION_LOCS[r].reduce((s, i) => s + LOC[i].weight, 0));
const TOTAL_WEIGHT = REGION_WEIGHT.reduce((a, b) => a + b, 0);
// Isolates per location: its share of the traffic over what one isolate serves (at least one).
// This bounds what a lease can do: demand is counted per isolate, so thin spreading starves it.
export const ISOLATES = LOC.map((l) => Math.max(1, Math.round((P.rps * l.weight) / TOTAL_WEIGHT / P.isolateRps)));
