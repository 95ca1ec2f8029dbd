import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

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
              // Fixed test secrets so tests never depend on a developer's .dev.vars.
              bindings: {
                ADMIN_TOKEN: "test-admin-token-0123456789abcdefghij",
                KEY_PEPPER: "test-pepper",
                SERVER_TIMING: "on",
                // The two default tiers plus a tiny one that tests can exhaust quickly.
                RATE_LIMIT_TIERS: JSON.stringify({
                  standard: { limit: 1000, window_seconds: 60 },
                  premium: { limit: 20000, window_seconds: 60 },
                  tiny: { limit: 5, window_seconds: 60 },
                  small: { limit: 50, window_seconds: 60 },
                }),
              },
            },
          }),
        ],
        test: {
          name: "workers",
          setupFiles: ["./test/setup.ts"],
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
        test: { name: "node", environment: "node", include: ["test/node/**/*.test.ts"] },
      },
      {
        // A real Chromium against a real `wrangler dev`: runs in Node.
        test: {
          name: "browser",
          environment: "node",
          include: ["test/browser/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
