import type { MiddlewareHandler } from "hono";
import { isRegisteredOrigin } from "../cache/origin-registry";
import type { AppEnv } from "../env";
import { ApiError, problemResponse } from "../lib/problem";

export interface CorsOptions {
  methods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  /** Seconds a browser may cache a preflight answer; at most 7200 (Chromium's cap). */
  maxAge?: number;
}

const DEFAULTS: Required<CorsOptions> = {
  methods: ["GET", "POST", "PATCH"],
  allowHeaders: ["Authorization", "X-API-Key", "x-APIKey", "Content-Type", "MineSkin-User-Agent"],
  exposeHeaders: ["RateLimit-Policy", "RateLimit", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After", "X-Request-Id"],
  maxAge: 7200,
};

/**
 * Per-key CORS. Preflights are answered only for origins registered on some active key or
 * partner; the real request is then checked against the calling key's own list (by
 * `authenticate`), and only a request that passed gets `Access-Control-Allow-Origin`. Never `*`,
 * never credentials, and `Vary: Origin` on every response.
 *
 * @example
 * ```ts
 * app.use(cors());
 * ```
 */
export function cors(options: CorsOptions = {}): MiddlewareHandler<AppEnv> {
  const o = { ...DEFAULTS, ...options, maxAge: Math.min(options.maxAge ?? DEFAULTS.maxAge, 7200) };
  const methods = o.methods.join(", ");
  const allowHeaders = o.allowHeaders.join(", ");
  const exposeHeaders = o.exposeHeaders.join(", ");

  return async function corsMiddleware(c, next) {
    const origin = c.req.header("origin");
    if (c.req.method === "OPTIONS" && origin !== undefined && c.req.header("access-control-request-method") !== undefined) {
      c.header("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
      if (!(await isRegisteredOrigin(c.env, origin))) {
        return problemResponse(c, new ApiError("origin_not_allowed", "This origin is not allowed to call this API."));
      }
      return c.body(null, 204, {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": methods,
        "Access-Control-Allow-Headers": allowHeaders,
        "Access-Control-Max-Age": String(o.maxAge),
      });
    }
    await next();
    c.res.headers.append("Vary", "Origin");
    const allowed = c.get("corsOrigin");
    if (allowed !== undefined && allowed === origin) {
      c.res.headers.set("Access-Control-Allow-Origin", allowed);
      c.res.headers.set("Access-Control-Expose-Headers", exposeHeaders);
    }
  };
}
