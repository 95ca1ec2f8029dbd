import type { MiddlewareHandler } from "hono";
import type { Bindings } from "../env";
import { renderError } from "./layout";
import { PageError, type DashboardEnv } from "./types";

/** The dashboard's own origin: PUBLIC_ORIGIN when set (a Worker behind a proxy or a custom domain), else the request's. */
export function dashboardOrigin(env: Pick<Bindings, "PUBLIC_ORIGIN">, requestUrl: string): string {
  if (env.PUBLIC_ORIGIN) {
    try {
      return new URL(env.PUBLIC_ORIGIN).origin;
    } catch {
      // A malformed PUBLIC_ORIGIN matches no browser's Origin: every POST is refused, which is safe.
      return env.PUBLIC_ORIGIN;
    }
  }
  return new URL(requestUrl).origin;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The Origin rule (DESIGN §6, contract): every state-changing request under /dashboard whose
 * `Origin` is not the dashboard's own is 403 before anything else runs, sign-in and sign-out
 * included. A POST without Origin is refused too: browsers send it on every POST (the dashboard's
 * `Referrer-Policy: same-origin` keeps it from being `null`), so only non-browser clients and
 * forged requests lack it. With `SameSite=Strict` cookies this is the second of two walls.
 */
export function sameOriginOnly(): MiddlewareHandler<DashboardEnv> {
  return async function sameOriginMiddleware(c, next) {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const origin = c.req.header("origin");
    if (origin !== undefined && origin === dashboardOrigin(c.env, c.req.url)) return next();
    return renderError(
      c,
      new PageError(
        403,
        "This form came from another site",
        "For your safety the dashboard accepts changes only from its own pages. Open the dashboard again and repeat what you were doing.",
      ),
    );
  };
}
