import type { MiddlewareHandler } from "hono";
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { DashboardContext, DashboardEnv, PageError, SignedIn } from "./types";

/**
 * The dashboard's Content-Security-Policy (DESIGN §6): scripts and styles from our own origin only
 * (no `unsafe-inline`, so no inline script, handler or style attribute anywhere), nothing framed,
 * forms posted back here only.
 */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/** Static files, served by Workers static assets from public/dashboard/ (wrangler.toml [assets]). */
export const STATIC = { css: "/dashboard/static/app.css", js: "/dashboard/static/app.js", favicon: "/dashboard/favicon.svg" } as const;

/**
 * Headers on every dashboard response, error pages and redirects included. `Referrer-Policy:
 * same-origin`, not `no-referrer`: under `no-referrer` browsers send `Origin: null` on form posts,
 * which the Origin rule (csrf.ts) would refuse.
 */
export function securityHeaders(): MiddlewareHandler<DashboardEnv> {
  return async function dashboardHeaders(c, next) {
    await next();
    const headers = c.res.headers;
    headers.set("Content-Security-Policy", CSP);
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set("X-Frame-Options", "DENY");
    headers.set("Referrer-Policy", "same-origin");
    // Pages show keys, and once a secret: never kept by a browser or proxy cache.
    headers.set("Cache-Control", "no-store");
  };
}

/** One partner's views, as the sub-navigation shows them. */
export interface PortalNav {
  base: string;
  partnerName: string;
  operator: boolean;
}

export interface PageOptions {
  title: string;
  status?: ContentfulStatusCode;
  /** The nav entry to mark as the current page, by its path. */
  active?: string;
  portal?: PortalNav | null;
}

type NavItem = [label: string, href: string];

function primaryNav(signedIn: SignedIn | null): NavItem[] {
  if (!signedIn) return [];
  if (signedIn.kind === "operator") return [["Partners", "/dashboard/partners"], ["Webhooks", "/dashboard/webhooks"], ["Audit log", "/dashboard/audit"]];
  // Webhooks only for a token that may read them (the API would refuse the page anyway).
  const webhooks: NavItem[] = signedIn.principal.scopes.includes("webhooks:read") ? [["Webhooks", "/dashboard/webhooks"]] : [];
  return [["Overview", "/dashboard"], ["Keys", "/dashboard/keys"], ["Users", "/dashboard/users"], ...webhooks, ["Audit log", "/dashboard/audit"], ["Passkeys", "/dashboard/passkeys"]];
}

const portalNav = (base: string): NavItem[] => [
  ["Overview", base],
  ["Keys", `${base}/keys`],
  ["Users", `${base}/users`],
  ["Webhooks", `${base}/webhooks`],
  ["Audit log", `${base}/audit`],
];

function Nav({ items, active, label }: { items: NavItem[]; active?: string; label: string }) {
  return (
    <nav aria-label={label}>
      <ul class="nav">
        {items.map(([text, href]) => (
          <li>
            <a href={href} aria-current={href === active ? "page" : undefined}>
              {text}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Who({ signedIn }: { signedIn: SignedIn }) {
  const name = signedIn.kind === "operator" ? "Operator" : `${signedIn.user.first_name} ${signedIn.user.last_name}`.trim();
  const where = signedIn.kind === "key" ? signedIn.record.partner.name : "Operator console";
  return (
    <div class="who">
      <span class="who-name">
        {name}
        <span class="who-where">{where}</span>
      </span>
      <form method="post" action="/dashboard/sign-out">
        <button type="submit" class="button secondary small">
          Sign out
        </button>
      </form>
    </div>
  );
}

function Shell(props: PageOptions & { signedIn: SignedIn | null; children?: Child }) {
  const { title, signedIn, portal, active, children } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{`${title} · Keyward`}</title>
        <link rel="icon" href={STATIC.favicon} type="image/svg+xml" />
        <link rel="stylesheet" href={STATIC.css} />
        <script src={STATIC.js} defer></script>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="topbar">
          <a class="brand" href="/dashboard">
            <img src={STATIC.favicon} alt="" width="24" height="24" />
            <span>Keyward</span>
          </a>
          <Nav items={primaryNav(signedIn)} active={portal?.operator ? "/dashboard/partners" : active} label="Main" />
          {signedIn ? <Who signedIn={signedIn} /> : null}
        </header>
        {portal?.operator ? (
          <div class="subbar">
            <p class="crumbs">
              <a href="/dashboard/partners">Partners</a> <span aria-hidden="true">/</span> <strong>{portal.partnerName}</strong>
            </p>
            <Nav items={portalNav(portal.base)} active={active} label="Partner" />
          </div>
        ) : null}
        <main id="main" class="container">
          {children}
        </main>
      </body>
    </html>
  );
}

/** Renders a whole page in the dashboard's shell. */
export async function renderPage(c: DashboardContext, options: PageOptions, body: Child): Promise<Response> {
  const html = await (
    <Shell {...options} signedIn={c.get("signedIn") ?? null}>
      {body}
    </Shell>
  ).toString();
  return c.html(`<!doctype html>${html}`, options.status ?? 200);
}

/** A page that could not be shown: its title, what happened in plain words, and a way on. */
export function renderError(c: DashboardContext, error: PageError): Promise<Response> {
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  const body = (
    <section class="card narrow error-page">
      <h1>{error.title}</h1>
      <p>{error.detail}</p>
      <p>
        <a class="button" href="/dashboard">
          Go to the dashboard
        </a>
      </p>
      <p class="muted small">Request id: {c.get("requestId")}</p>
    </section>
  );
  return renderPage(c, { title: error.title, status: error.status }, body);
}
