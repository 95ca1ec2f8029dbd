import type { Hono } from "hono";
import type { LeakAction } from "../db/tables";
import { expectOk } from "./internal-api";
import type { PortalNav } from "./layout";
import type { Refill } from "./pages/budgets";
import { pageNotFound, type DashboardContext, type DashboardEnv, type InternalApi, type Portal, type SignedIn } from "./types";

export type DashboardRouter = Hono<DashboardEnv>;
type Handler = (c: DashboardContext) => Response | Promise<Response>;

/** A partner as the portal shows it (the API's partner shape). */
export interface PartnerView {
  id: string;
  slug: string;
  name: string;
  status: string;
  rate_limit_tier: string;
  /** What a signed leak report does to its keys (DESIGN §9); only the operator changes it. */
  leak_action: LeakAction;
  /** DESIGN §10: whose windows its keys count in, and the credits all its keys share (null = unlimited). */
  rate_limit_scope: "key" | "partner";
  credits_remaining: number | null;
  credits_refill: Refill | null;
  credits_refilled_at: string | null;
  scopes: string[];
  contact_email: string;
  website_url: string;
  created_at: string;
}

/** Everything a portal view needs: where it runs, whose partner, the API as the signed-in session, and what it may grant. */
export interface PortalView {
  portal: Portal;
  nav: PortalNav;
  partner: PartnerView;
  api: InternalApi;
  signedIn: SignedIn;
  /** Scopes the signed-in caller may hand out here: the token's effective scopes, or (operator) the partner's. */
  grantable: string[];
}

/** The session and its API; the session middleware (index.ts) lets no signed-out request reach a page. */
export function sessionOf(c: DashboardContext): { signedIn: SignedIn; api: InternalApi } {
  const signedIn = c.get("signedIn");
  const api = c.get("api");
  if (!signedIn || !api) throw new Error("dashboard page reached without a session");
  return { signedIn, api };
}

/**
 * The portal a request runs in. A partner user's portal lives at /dashboard and shows only its own
 * partner: any /dashboard/partners/… path is 404 to it. The operator sees any partner's portal
 * at /dashboard/partners/{partner_id}; null when the operator asked for a portal path without one
 * (the page then sends it to the partner list).
 */
export async function portalOf(c: DashboardContext): Promise<PortalView | null> {
  const { signedIn, api } = sessionOf(c);
  const partnerId = c.req.param("partner_id");
  if (partnerId !== undefined) {
    if (signedIn.kind !== "operator") throw pageNotFound();
    const partner = expectOk(await api.get<PartnerView>(`/v1/partners/${encodeURIComponent(partnerId)}`));
    const base = `/dashboard/partners/${partner.id}`;
    return {
      portal: { base, partnerId: partner.id, operator: true },
      nav: { base, partnerName: partner.name, operator: true },
      partner,
      api,
      signedIn,
      grantable: partner.scopes,
    };
  }
  if (signedIn.kind === "operator") return null;
  const partner = signedIn.record.partner;
  return {
    portal: { base: "/dashboard", partnerId: partner.id, operator: false },
    nav: { base: "/dashboard", partnerName: partner.name, operator: false },
    partner,
    api,
    signedIn,
    grantable: signedIn.principal.scopes,
  };
}

/** Registers a portal page twice: at /dashboard{path} (a partner user) and /dashboard/partners/:partner_id{path} (the operator). */
export function portalRoute(router: DashboardRouter, method: "GET" | "POST", path: string, handler: Handler): void {
  router.on(method, path || "/", handler);
  router.on(method, `/partners/:partner_id${path}`, handler);
}

/** Where an operator goes who asked for a portal page without naming a partner. */
export const toPartnerList = (c: DashboardContext) => c.redirect("/dashboard/partners", 303);

/** A form's fields: `one` for single values, `all` for repeated ones (checkboxes). */
export async function formOf(c: DashboardContext) {
  const body = await c.req.parseBody({ all: true });
  const all = (name: string): string[] => {
    const value = body[name];
    const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
    return values.filter((v): v is string => typeof v === "string");
  };
  return { one: (name: string): string => (all(name)[0] ?? "").trim(), all };
}
