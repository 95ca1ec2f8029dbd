import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { guardOf } from "../limiter/client";
import { now } from "../lib/clock";
import { claimReport, drainTallies, giveBack, reportDone } from "../usage/isolate-tally";

/**
 * Sends the usage counts this isolate decided alone (DESIGN §7) to the keys' guards after a
 * response, when no call to the guard has carried them yet: at most one report per isolate per
 * second (src/usage/isolate-tally.ts), so a flood of local 429s stays cheap.
 *
 * @example
 * ```ts
 * app.use(usageReports());
 * ```
 */
export function usageReports(): MiddlewareHandler<AppEnv> {
  return async function usageReportsMiddleware(c, next) {
    await next();
    if (!claimReport(now())) return;
    const reports = drainTallies();
    const send = Promise.all(reports.map(([keyId, counts]) => guardOf(c.env, keyId).report(counts).catch(() => giveBack(keyId, counts)))).finally(
      reportDone,
    );
    try {
      c.executionCtx.waitUntil(send);
    } catch {
      // No execution context (an in-process call): the report still runs, unawaited.
    }
  };
}
