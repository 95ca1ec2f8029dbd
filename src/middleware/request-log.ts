import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";

export interface RequestLogOptions {
  /** Where lines go; `console.log` by default (Workers Logs picks it up as JSON). */
  write?: (line: string) => void;
}

/**
 * One structured JSON line per request. A presented key appears only masked to its prefix and
 * last four (`kw_sk_<id>…abcd`); secrets, hashes, the admin token and bodies are never logged.
 *
 * @example
 * ```ts
 * app.use(requestLog());
 * ```
 */
export function requestLog(options: RequestLogOptions = {}): MiddlewareHandler<AppEnv> {
  const write = options.write ?? ((line: string) => console.log(line));
  return async function requestLogMiddleware(c, next) {
    const started = Date.now();
    await next();
    if (c.env?.REQUEST_LOG === "off" || (c.env?.REQUEST_LOG === "errors" && c.res.status < 400)) return;
    write(
      JSON.stringify({
        level: c.res.status >= 500 ? "error" : "info",
        msg: "request",
        request_id: c.get("requestId"),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Date.now() - started,
        actor: c.get("principal")?.actor ?? null,
        key: c.get("maskedKey") ?? null,
      }),
    );
  };
}
