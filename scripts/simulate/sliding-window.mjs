// A bucketed sliding window (60 buckets of 1 s for a one-minute limit), counting as src/limiter
// does, so the model over- or under-admits exactly where the Worker would. Used both by the key's
// object (its decisions) and as the "truth" of what was really served (the over-admission check).
import { BUCKET_MS, BUCKETS, WINDOW_MS } from "./params.mjs";
import { KEYS } from "./keys.mjs";

const slotOf = (id) => ((id % BUCKETS) + BUCKETS) % BUCKETS;

export class Window {
  /**
   * Prefilled as if `key` had been running at its rate (capped at its limit) for the minute
   * before 0: otherwise every window would start empty and the first minute would admit too much.
   */
  constructor(key) {
    this.ids = new Float64Array(BUCKETS).fill(-Infinity);
    this.counts = new Int32Array(BUCKETS);
    const per = Math.min((KEYS.rate[key] * BUCKET_MS) / 1000, KEYS.limit[key] / BUCKETS);
    for (let i = 0; i < BUCKETS - 1; i++) {
      const id = i - (BUCKETS - 1);
      const slot = slotOf(id);
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
    const slot = slotOf(b);
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
      const slot = slotOf(id);
      if (this.ids[slot] === id) excess -= this.counts[slot];
      if (excess <= 0) return (id + BUCKETS) * BUCKET_MS - now;
    }
    return WINDOW_MS;
  }
}

/** When the bucket holding `now` ends: a lease never outlives it (guard-leases.ts). */
export const bucketEnd = (now) => (Math.floor(now / BUCKET_MS) + 1) * BUCKET_MS;
