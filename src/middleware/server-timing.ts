import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { instrumentBindings, StorageMetrics, type Storage } from "../lib/instrument";

const ORDER: Storage[] = ["d1", "kv", "do"];

/** `kv;dur=0.6;desc=1, do;dur=0.4;desc=1, total;dur=2.3`: one metric per storage touched. */
export function serverTimingHeader(metrics: StorageMetrics, totalMs: number): string {
  const parts = ORDER.filter((s) => metrics.calls[s].count > 0).map(
    (s) => `${s};dur=${metrics.calls[s].ms.toFixed(1)};desc=${metrics.calls[s].count}`,
  );
  parts.push(`total;dur=${totalMs.toFixed(1)}`);
  return parts.join(", ");
}

/**
 * Wraps the request's bindings so every storage call is counted and timed, and a failing one
 * raises a StorageError (answered 503). When the var SERVER_TIMING is `on`, the counts are
 * reported in `Server-Timing`.
 *
 * @example
 * ```ts
 * app.use(serverTiming());
 * ```
 */
export function serverTiming(): MiddlewareHandler<AppEnv> {
  return async function serverTimingMiddleware(c, next) {
    const started = performance.now();
    const metrics = new StorageMetrics();
    c.env = instrumentBindings(c.env, metrics);
    await next();
    if (c.env.SERVER_TIMING === "on") c.res.headers.set("Server-Timing", serverTimingHeader(metrics, performance.now() - started));
  };
}
