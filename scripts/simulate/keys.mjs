// The key population: Zipf-distributed traffic (a few keys carry most requests, as on any real API),
// a tier sized to each key's traffic (most keys well inside it, a tenth above it so 429s and the
// isolate's full-window memory are exercised), and a home continent drawn by traffic share for the
// scenario where a key is used from one continent only.
import { P } from "./params.mjs";
import { REGION_WEIGHT } from "./locations.mjs";
import { cdfOf, pick, rng } from "./random.mjs";

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

/** Per key (by index): `cdf` to draw a request's key, `rate` in req/s, `limit` per minute, `home` region. */
export const KEYS = buildKeys();
