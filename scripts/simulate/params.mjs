// The model's knobs and the constants it shares with src/limiter. Knobs come from the environment
// (SIM_*) so a reader can test one assumption at a time without editing the model; every default
// is the value README "Global model" describes, and docs/simulate.md was produced with them.
const num = (name, fallback) => (process.env[name] !== undefined ? Number(process.env[name]) : fallback);

export const P = {
  seed: num("SIM_SEED", 1),
  rps: num("SIM_RPS", 5_000), // global verified requests per second
  seconds: num("SIM_SECONDS", 30), // simulated seconds, warm-up included
  warmup: num("SIM_WARMUP", 5), // seconds not measured (objects get placed, isolates learn demand)
  keys: num("SIM_KEYS", 100_000),
  zipf: num("SIM_ZIPF", 1.1),
  leaseMs: num("SIM_LEASE_MS", 250), // GUARD_LEASE_MS (its default, src/limiter/leases.ts)
  isolateRps: num("SIM_ISOLATE_RPS", 100), // requests/s one isolate serves; a location spreads its traffic over rps/this isolates
  inflation: num("SIM_INFLATION", 1.6), // route length over great-circle distance
  fibreKmPerMs: 200, // light in fibre: ~2/3 c
  baseRttMs: 2, // any hop, even inside one location
  doServiceMs: 1, // one call's work inside an object (Cloudflare: ~1 000 simple requests/s per object)
  overLimitShare: 0.1, // keys whose traffic exceeds their tier
  probes: 2_000, // mutations sampled per run
  kvRefreshMs: 60_000, // KV cacheTtl for the foil (minimum is 30 s; 60 s is the usual choice)
};

// The same bounds as src/limiter/guard-leases.ts and leases.ts: the model is only worth reading
// if leases here are sized exactly as the Worker sizes them.
export const MAX_LEASE_TOKENS = 64; // src/limiter/guard-leases.ts
export const LEASE_MIN_DEMAND = 4;
export const HOLDER_MAX_TOKENS = 256; // a regional holder serves a whole region: a bigger cap (assumption)

export const WINDOW_MS = 60_000; // every key's tier: one limit per minute
export const BUCKETS = 60; // src/limiter: a window counts 60 buckets
export const BUCKET_MS = WINDOW_MS / BUCKETS;

/** Where docs/simulate.md and docs/simulate.svg go (SIM_OUT lets a trial run leave docs/ alone). */
export const OUT_DIR = process.env.SIM_OUT ?? "docs";
