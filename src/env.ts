import type { Principal } from "./auth/principal";

/**
 * The Worker's bindings. Everything wrangler.toml declares comes from `Env`, which `npm run types`
 * (`wrangler types`) generates into worker-configuration.d.ts, and `npm run typecheck` refuses to
 * pass while that file is out of date, so this type cannot drift from the configuration. Declared
 * here: the optional vars wrangler.toml leaves unset, and the two secrets, which a deployment may
 * lack (the API then answers 503 `not_configured`).
 */
export interface Bindings extends Omit<Env, "ADMIN_TOKEN" | "KEY_PEPPER" | "WEBHOOK_ALLOW_LOCAL"> {
  /** `closed` (default): 503 when a key's Durable Object is unreachable; `open`: waive the rate limit only. */
  GUARD_FAILURE_MODE?: string;
  /**
   * Opt-in token leases (ms, 1..1000; default 0 = off): a key's guard may lease an isolate a few
   * pre-counted tokens for this long, saving a DO call per request; mutations then wait up to this
   * long so they still bite on the next request after their response.
   */
  GUARD_LEASE_MS?: string;
  /** Failed authentications allowed per client IP and window, `count/seconds` (default `20/60`). */
  AUTH_FAILURE_LIMIT?: string;
  /** `all` (default), `errors` (4xx/5xx only) or `off`. */
  REQUEST_LOG?: string;
  /**
   * Keys that sign leak reports (`POST /v1/leaks`, DESIGN §9): JSON `[{key_identifier, key}]`, each
   * key a PEM ECDSA P-256 public key, as GitHub publishes them at
   * https://api.github.com/meta/public_keys/secret_scanning (that answer, `{public_keys: [...]}`,
   * is accepted whole). Unset: every report counts as unsigned, so it flags and never revokes.
   */
  LEAK_REPORT_PUBLIC_KEYS?: string;
  /** The Worker's public origin (`https://keys.example.com`): the OAuth `issuer` and absolute links. Default: the request's origin. */
  PUBLIC_ORIGIN?: string;
  ADMIN_TOKEN?: string;
  KEY_PEPPER?: string;
  /**
   * Opt-in Workers Analytics Engine dataset for usage at any scale (README, "Usage"): when bound, each
   * usage flush also writes one data point per key and minute. Not declared in wrangler.toml by default.
   */
  USAGE_ANALYTICS?: AnalyticsEngineDataset;
  /**
   * Usage aggregators (src/usage/aggregator.ts): each key's minute flush is group-committed with
   * other keys' by `usage:<hash(key id) mod n>`, so D1's writes per second are bounded by n, not by
   * the number of keys. Default 8; `0` writes each key's flush directly (one D1 batch per key).
   */
  USAGE_AGGREGATORS?: string;
  /** How long an aggregator gathers flushes before writing them (ms, default 1000). */
  USAGE_BATCH_MS?: string;
  /** A key's usage flush interval (seconds, default 60), shortened only by benchmarks (scripts/usage-scale.mjs). */
  USAGE_FLUSH_SECONDS?: string;
  /** Seconds before each webhook retry, comma-separated (DESIGN §8; default `5,30,120,600,1800,3600,7200,14400,28800,43200,86400`). */
  WEBHOOK_RETRY_DELAYS?: string;
  /** `on` (local development only): webhooks may target http, any port and loopback. */
  WEBHOOK_ALLOW_LOCAL?: string;
}

export interface Variables {
  requestId: string;
  principal: Principal;
  /** The presented key, masked to prefix and last four, for the request log; only for credentials shaped like our keys. */
  maskedKey?: string;
  /** Set when a key-authenticated browser request passed the key's origin allowlist. */
  corsOrigin?: string;
}

export type AppEnv = { Bindings: Bindings; Variables: Variables };
