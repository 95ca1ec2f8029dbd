import { Hono, type MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { App } from "../hono";
import { StorageError } from "../lib/instrument";
import { admitChange } from "./admission";
import { sameOriginOnly } from "./csrf";
import { internalApi } from "./internal-api";
import { renderError, securityHeaders } from "./layout";
import { registerAudit } from "./pages/audit";
import { registerKey } from "./pages/key";
import { registerKeyActions } from "./pages/key-actions";
import { registerKeys } from "./pages/keys";
import { registerOverview } from "./pages/overview";
import { registerPartners } from "./pages/partners";
import { registerPasskeys } from "./pages/passkeys";
import { registerSignIn, renderSignIn } from "./pages/sign-in";
import { registerUsers } from "./pages/users";
import { registerWebhook } from "./pages/webhook";
import { registerWebhookActions } from "./pages/webhook-actions";
import { registerWebhooks } from "./pages/webhooks";
import { clearSessionCookie, currentSession } from "./session";
import { PageError, pageNotFound, type ApiApp, type DashboardEnv } from "./types";

/** Requests served whatever the session: signing in (with a token or a passkey), and signing out (which also clears a dead cookie). */
const SESSIONLESS = new Set([
  "POST /dashboard/sign-in",
  "POST /dashboard/sign-in/passkey/options",
  "POST /dashboard/sign-in/passkey",
  "POST /dashboard/sign-out",
]);

/**
 * Reads the session on every request (src/dashboard/session.ts). Signed out, or refused (its
 * cookie cleared), a request gets the sign-in page; signed in, it gets the API as its session.
 */
function sessions(app: ApiApp): MiddlewareHandler<DashboardEnv> {
  return async function sessionMiddleware(c, next) {
    c.set("signedIn", null);
    if (SESSIONLESS.has(`${c.req.method} ${c.req.path}`)) return next();
    const { signedIn, refused } = await currentSession(c);
    if (refused) {
      clearSessionCookie(c);
      c.set("sessionRefused", true);
    }
    const reading = c.req.method === "GET" || c.req.method === "HEAD";
    // A token's change spends from its rate limit and credits like the same API request would.
    const admitted = signedIn?.kind === "key" && !reading ? await admitChange(c, signedIn) : signedIn;
    if (!admitted) return renderSignIn(c, { status: reading ? 200 : 401 });
    c.set("signedIn", admitted);
    // For the request log's `actor`; the dashboard's own pages read `signedIn`.
    c.set("principal", admitted.principal);
    c.set("api", internalApi(app, c, admitted.principal));
    return next();
  };
}

/**
 * The dashboard (DESIGN §6): the operator's console and each partner's portal, server-rendered
 * with Hono JSX under /dashboard. Every response carries the CSP; every POST meets the Origin
 * rule before anything else; every page acts through the API itself (internal-api.ts). Its static
 * files (CSS, the small script, the favicon) are Workers static assets under public/dashboard/.
 */
export function registerDashboard(app: App): void {
  const dashboard = new Hono<DashboardEnv>();
  dashboard.use(securityHeaders());
  dashboard.use(sameOriginOnly());
  dashboard.use(sessions(app));

  registerSignIn(dashboard);
  registerOverview(dashboard);
  registerPartners(dashboard);
  registerKeys(dashboard);
  registerKey(dashboard);
  registerKeyActions(dashboard);
  registerUsers(dashboard);
  registerWebhooks(dashboard);
  registerWebhook(dashboard);
  registerWebhookActions(dashboard);
  registerAudit(dashboard);
  registerPasskeys(dashboard);
  dashboard.all("*", (c) => {
    if (c.req.method === "GET" && c.req.path === "/dashboard/") return c.redirect("/dashboard", 301);
    throw pageNotFound();
  });

  dashboard.onError((err, c) => {
    if (err instanceof PageError) return renderError(c, err);
    if (err instanceof StorageError) {
      return renderError(c, new PageError(503, "Try again in a moment", "A storage service did not answer. Nothing was changed; try again shortly.", { "retry-after": "1" }));
    }
    if (err instanceof HTTPException && err.status < 500) {
      return renderError(c, new PageError(400, "That did not work", "The form could not be read. Reload the page and try again."));
    }
    console.error(JSON.stringify({ level: "error", msg: "dashboard: unhandled", request_id: c.get("requestId"), error: err.name, message: err.message }));
    return renderError(c, new PageError(500, "Something went wrong", "Something went wrong on our side. Try again; if it keeps happening, give the operator the request id below."));
  });

  // Last: `route` copies the routes and the error handler registered so far.
  app.route("/dashboard", dashboard);
}
