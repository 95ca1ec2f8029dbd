import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { createApp } from "../../src/app";
import { ADMIN, call, createKey, createPartner, createUser, env } from "../helpers";

/** The origin test requests are made to (http, not a local host: the cookie is `__Host-` and `Secure` there). */
export const ORIGIN = "http://keyward.test";

/** Every scope the dashboard's portal pages use. */
export const PORTAL_SCOPES = ["keys:read", "keys:write", "users:read", "users:write", "audit:read", "webhooks:read", "webhooks:write"];

export interface PageOptions {
  method?: string;
  /** Form fields; repeated names as arrays (checkboxes). */
  form?: Record<string, string | string[]>;
  /** The session cookie (`name=value`), or null for none. */
  cookie?: string | null;
  /** The Origin header of a POST: the dashboard's own unless given; null sends none. */
  origin?: string | null;
  headers?: Record<string, string>;
  /** Bindings to change for this request (e.g. another ADMIN_TOKEN): served by a fresh app with them. */
  env?: Record<string, unknown>;
  /** Another origin to send the request to (e.g. http://localhost:8787). */
  base?: string;
}

export interface Page {
  status: number;
  headers: Headers;
  html: string;
  /** Every Set-Cookie line. */
  cookies: string[];
  location: string | null;
}

/** One request to a dashboard page through the real Worker (or, with `env`, the app with changed bindings). */
export async function page(path: string, options: PageOptions = {}): Promise<Page> {
  const method = options.method ?? (options.form ? "POST" : "GET");
  const base = options.base ?? ORIGIN;
  const headers: Record<string, string> = { "cf-connecting-ip": "203.0.113.7", "user-agent": "Mozilla/5.0 (test)", ...options.headers };
  if (options.cookie) headers.cookie = options.cookie;
  if (method !== "GET" && method !== "HEAD" && options.origin !== null) headers.origin = options.origin ?? base;
  let body: string | undefined;
  if (options.form) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(options.form)) for (const v of Array.isArray(value) ? value : [value]) params.append(name, v);
    body = params.toString();
    headers["content-type"] = "application/x-www-form-urlencoded";
  }
  const request = new Request(`${base}${path}`, { method, headers, body, redirect: "manual" });
  const res = options.env ? await createApp().fetch(request, { ...env, ...options.env }) : await exports.default.fetch(request);
  return {
    status: res.status,
    headers: res.headers,
    html: await res.text(),
    cookies: res.headers.getSetCookie(),
    location: res.headers.get("location"),
  };
}

/** `name=value` of the session cookie a response set. */
export function sessionCookieOf(res: Page): string {
  const line = res.cookies.find((c) => /^(__Host-)?kw_session=[^;]+/.test(c) && !/Max-Age=0/i.test(c));
  expect(line, `a session cookie in ${JSON.stringify(res.cookies)} (status ${res.status})`).toBeDefined();
  return line!.split(";")[0]!;
}

/** Signs in with `token` and returns the session cookie; the answer must be the redirect into the dashboard. */
export async function signIn(token: string, options: Omit<PageOptions, "form" | "cookie"> = {}): Promise<string> {
  const res = await page("/dashboard/sign-in", { ...options, form: { token } });
  expect(res.status, res.html.slice(0, 500)).toBe(303);
  return sessionCookieOf(res);
}

/** Whether a page is the sign-in page (the contract's field and button). */
export const isSignInPage = (html: string) => /<label for="token">Token<\/label>/.test(html) && />\s*Sign in\s*<\/button>/.test(html);

/** A partner with a user holding `permissions` and that user's personal access token. */
export async function partnerUser(options: { scopes?: string[]; permissions?: string[]; keyBody?: Record<string, unknown> } = {}) {
  const scopes = options.scopes ?? [...PORTAL_SCOPES, "charges:read"];
  const partner = await createPartner({ scopes });
  const user = await createUser(partner.id, { first_name: "Ada", last_name: "Lovelace", permissions: options.permissions ?? scopes });
  const pat = await createKey(partner.id, { name: "Ada's token", type: "personal", user_id: user.id, scopes, ...options.keyBody });
  return { partner, user, pat: pat.key, patId: pat.api_key.id };
}

/** The text inside the element with `data-testid="new-key-secret"` (or another `testId`). */
export function newSecretIn(html: string, testId = "new-key-secret"): string | null {
  return new RegExp(`data-testid="${testId}"[^>]*>\\s*([^<\\s]+)\\s*<`).exec(html)?.[1] ?? null;
}

export { ADMIN, call, env };
