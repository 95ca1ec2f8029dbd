import { createApp } from "./app";
import type { Bindings } from "./env";
import { consumeEvents } from "./events/queue";
import { sweep } from "./events/sweep";
import { remindExpiring } from "./events/expiry";
import { dispatchEvents } from "./events/dispatch";
import { sendNoticesWith } from "./limiter/guard-notices";

const app = createApp();
// The key guards' notices (credits.low, rate_limit.exceeded) go to the webhooks' queue.
sendNoticesWith(dispatchEvents);

/**
 * The Worker: HTTP requests (the Hono app), the `keyward-events` queue (retries of after-commit
 * reactions) and the Cron Trigger (the outbox sweep, expiry reminders). See src/events/.
 */
export default {
  fetch: app.fetch,
  async queue(batch, env, _ctx) {
    await consumeEvents(batch, env);
  },
  async scheduled(_controller, env, _ctx) {
    // Independent jobs, each retried by the next run: one failing must not hold back the other.
    const failed = (await Promise.allSettled([sweep(env), remindExpiring(env)])).find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
  },
} satisfies ExportedHandler<Bindings>;

export { KeyGuard } from "./limiter/key-guard";
export { UsageAggregator } from "./usage/aggregator";
