import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        // Fixed test secrets so tests never depend on a developer's .dev.vars.
        bindings: {
          ADMIN_TOKEN: "test-admin-token",
          KEY_PEPPER: "test-pepper",
          SERVER_TIMING: "on",
        },
      },
    }),
  ],
  test: {
    setupFiles: ["./test/setup.ts"],
    include: ["test/**/*.test.ts"],
    // Request logs are one JSON line per request; show them only for failing tests.
    silent: "passed-only",
  },
});
