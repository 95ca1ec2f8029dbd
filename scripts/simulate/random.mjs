// Seeded randomness and the sampling helpers built on it. The model must be deterministic (the
// committed docs/simulate.md is reproducible byte for byte, date aside), so nothing here may use
// Math.random; each consumer derives its own stream from P.seed so adding draws in one place does
// not shift the draws of another.

/** mulberry32: tiny, fast, good enough for a model (not for cryptography). Returns () => [0, 1). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The index whose cumulative share first reaches `u` (binary search over a CDF from cdfOf). */
export const pick = (cdf, u) => {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};

/** Normalised cumulative distribution of non-negative weights, for pick. */
export const cdfOf = (weights) => {
  const cdf = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => (cdf[i] = sum += w));
  for (let i = 0; i < cdf.length; i++) cdf[i] /= sum;
  return cdf;
};

/** The q-quantile of an already sorted array (nearest rank), NaN when there is nothing to rank. */
export const quantile = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
