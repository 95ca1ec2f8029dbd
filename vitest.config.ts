import { fileURLToPath } from "node:url";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// One seed for every fast-check property and the fuzz suite of a run, printed up front and in
// every property's failure: `FC_SEED=<seed> npm test` replays the same run.
const FC_SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
if (!Number.isSafeInteger(FC_SEED)) throw new Error(`FC_SEED must be an integer, not ${process.env.FC_SEED}`);
process.env.FC_SEED = String(FC_SEED);
process.stderr.write(`fast-check seed: FC_SEED=${FC_SEED} (replay with FC_SEED=${FC_SEED} npm test)\n`);

// The `zod` the deployed bundle has (wrangler.toml, [alias]; src/bundle/zod.ts), so the tests run it.
const zodAsBundled = { find: /^zod$/, replacement: fileURLToPath(new URL("./src/bundle/zod.ts", import.meta.url)) };

export default defineConfig({
  test: {
    // Request logs are one JSON line per request; show them only for failing tests.
    silent: "passed-only",
    projects: [
      {
        // Everything that runs inside workerd, against the real D1, KV and Durable Object bindings.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // The opt-in usage dataset (README, "Usage"), bound here so its write path runs in the tests.
              analyticsEngineDatasets: { USAGE_ANALYTICS: { dataset: "keyward_usage_test" } },
              // Fixed test secrets so tests never depend on a developer's .dev.vars.
              bindings: {
                ADMIN_TOKEN: "test-admin-token-0123456789abcdefghij",
                KEY_PEPPER: "test-pepper",
                SERVER_TIMING: "on",
                // Leases are on by default (src/limiter/leases.ts); most tests pin per-request
                // decisions so each request's guard call and counts are observable, and the lease
                // tests turn them on per request (test/limiter/leases.test.ts).
                GUARD_LEASE_MS: "0",
                // Deliveries go to the loopback receiver, and retry within seconds, not minutes.
                WEBHOOK_ALLOW_LOCAL: "on",
                WEBHOOK_RETRY_DELAYS: "1,1,1",
                // Usage aggregators gather for 20 ms, not a second, so a guard's flush (its alarm, run by a test) returns quickly.
                USAGE_BATCH_MS: "20",
                // Read by test/setup.ts, which seeds fast-check with it.
                FC_SEED: String(FC_SEED),
                // The two default tiers, small ones that tests can exhaust quickly, and a tier of
                // several limits (DESIGN §10).
                RATE_LIMIT_TIERS: JSON.stringify({
                  standard: { limit: 1000, window_seconds: 60 },
                  premium: { limit: 20000, window_seconds: 60 },
                  tiny: { limit: 5, window_seconds: 60 },
                  small: { limit: 50, window_seconds: 60 },
                  // A partner-scoped partner's shared tier (DESIGN §10, test/limiter/pool.test.ts).
                  shared25: { limit: 25, window_seconds: 60 },
                  burst: {
                    limits: [
                      { name: "burst", limit: 5, window_seconds: 1 },
                      { name: "minute", limit: 20, window_seconds: 60 },
                    ],
                  },
                }),
              },
            },
          }),
        ],
        resolve: { alias: [zodAsBundled] },
        test: {
          name: "workers",
          sequence: { groupOrder: 0 },
          setupFiles: ["./test/setup.ts"],
          // A webhook receiver on loopback (test/events/webhooks/receiver.global.ts).
          globalSetup: ["./test/events/webhooks/receiver.global.ts"],
          // A bound for a busy 2-core CI machine, not a wait: no test sleeps towards it. Cold
          // starts are taken by the warm-up in test/setup.ts, outside every test.
          testTimeout: 15_000,
          hookTimeout: 60_000,
          include: ["test/**/*.test.ts"],
          exclude: ["test/browser/**", "test/node/**"],
        },
      },
      {
        // Checks that need Node rather than workerd (e.g. Ajv-based validators).
        resolve: { alias: [zodAsBundled] },
        test: { name: "node", environment: "node", include: ["test/node/**/*.test.ts"], sequence: { groupOrder: 0 } },
      },
      {
        // A real Chromium against a real `wrangler dev`: runs in Node.
        test: {
          name: "browser",
          environment: "node",
          // After the rest: each browser test starts its own `wrangler dev` (on a free port), and
          // two cores cannot also carry the workerd pool's runs without slowing every test.
          sequence: { groupOrder: 1 },
          include: ["test/browser/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
