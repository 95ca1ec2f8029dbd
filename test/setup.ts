import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import schema from "../schema.sql?raw";

// The same schema.sql that `wrangler d1 execute DB --local --file schema.sql` applies.
const statements = schema
  .split("\n")
  .filter((line) => !line.trimStart().startsWith("--"))
  .join("\n")
  .split(";")
  .map((s) => s.trim())
  .filter(Boolean);

await env.DB.batch(statements.map((s) => env.DB.prepare(s)));

// Warm the Worker once per test file, outside any test: the first request of an isolate loads
// every module and opens D1, KV and a Durable Object, which on a busy 2-core machine takes
// seconds and would otherwise land on (and time out) whichever test happens to run first.
{
  const { exports } = await import("cloudflare:workers");
  const admin = { authorization: `Bearer ${(env as unknown as { ADMIN_TOKEN: string }).ADMIN_TOKEN}` };
  await exports.default.fetch(new Request("http://keyward.test/healthz"));
  await exports.default.fetch(new Request("http://keyward.test/v1/partners?limit=1", { headers: admin }));
  const guard = (env as unknown as { KEY_GUARD: DurableObjectNamespace<import("../src/limiter/key-guard").KeyGuard> }).KEY_GUARD;
  await runInDurableObject(guard.get(guard.idFromName("warm-up")), () => undefined);
}

// Every property of the run draws from the one seed vitest.config.ts chose and printed.
{
  const fc = (await import("fast-check")).default;
  fc.configureGlobal({ seed: Number((env as unknown as { FC_SEED: string }).FC_SEED) });
}
