// What `import { z } from "zod"` resolves to in the deployed bundle (wrangler.toml, [alias]) and in
// the tests (vitest.config.ts): zod's own entry point (zod/index.js) over ./zod-external.ts, a copy
// of zod/v4/classic/external.js without the parts Keyward never calls.
//
// Why: @hono/zod-openapi hands the whole `z` namespace to extendZodWithOpenApi(z), so esbuild must
// keep every export of it, used or not: the 40-odd message locales (`z.locales`, `z.core.locales`,
// 360 KiB unminified), the JIT compiler (`z.compile`, 60 KiB) and `z.fromJSONSchema` (25 KiB).
// Only those are left out; the English messages stay installed (classic/schemas.js calls
// `config(en())` itself), so every error message is unchanged. test/node/zod-bundle.node.test.ts
// fails when a zod upgrade adds or removes an export, so this list is revisited then.
import * as z from "./zod-external";
export * from "./zod-external";
export { z, z as default };
