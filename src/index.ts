import { createApp } from "./app";
import type { Bindings } from "./env";
import { consumeEvents } from "./events/queue";
import { sweep } from "./events/sweep";

const app = createApp();

/**
 * The Worker: HTTP requests (the Hono app), the `keyward-events` queue (retries of after-commit
 * reactions) and the Cron Trigger (the outbox sweep). See src/events/.
 */
export default {
  fetch: app.fetch,
  async queue(batch, env, _ctx) {
    await consumeEvents(batch, env);
  },
  async scheduled(_controller, env, _ctx) {
    await sweep(env);
  },
} satisfies ExportedHandler<Bindings>;

export { KeyGuard } from "./limiter/key-guard";
