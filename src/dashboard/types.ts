import type { Context } from "hono";
import type { KeyPrincipal, Principal } from "../auth/principal";
import type { KeyAuthRecord } from "../db/keys";
import type { User } from "../db/users";
import type { Bindings, Variables } from "../env";
import type { FieldError } from "../lib/problem";
import type { App } from "../hono";

/** Who is signed in to the dashboard, as checked against D1 on this request. */
export type SignedIn =
  | { kind: "operator"; sessionId: string; principal: Principal }
  | {
      kind: "key";
      sessionId: string;
      /** What binds the session to its token's secret (`secretBinding`): a passkey registered here is bound the same way. */
      binding: string;
      /** The passkey the session was opened with, if it was. */
      passkeyId: string | null;
      /** The personal access token's principal, `actor` being its user (the audit actor, DESIGN §6). */
      principal: KeyPrincipal;
      record: KeyAuthRecord;
      user: User;
    };

/** The app's fetch, which the dashboard calls for every action (src/dashboard/internal-api.ts). */
export type ApiApp = Pick<App, "fetch">;

/** An RFC 9457 problem as the API answers it. */
export interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: FieldError[];
}

export type ApiAnswer<T> = { ok: true; status: number; body: T } | { ok: false; status: number; problem: Problem };

/** The API, called by the dashboard on behalf of the signed-in session (src/dashboard/internal-api.ts). */
export interface InternalApi {
  get<T = any>(path: string): Promise<ApiAnswer<T>>;
  post<T = any>(path: string, body?: unknown): Promise<ApiAnswer<T>>;
  patch<T = any>(path: string, body: unknown): Promise<ApiAnswer<T>>;
  delete<T = any>(path: string): Promise<ApiAnswer<T>>;
}

export interface DashboardVariables extends Variables {
  /** Set by the session middleware on every dashboard request; null when nobody is signed in. */
  signedIn: SignedIn | null;
  /** Why a presented session cookie was refused on this request (shown on the sign-in page). */
  sessionRefused?: boolean;
  /** The API as the signed-in session (set with `signedIn`). */
  api?: InternalApi;
}

export type DashboardEnv = { Bindings: Bindings; Variables: DashboardVariables };
export type DashboardContext = Context<DashboardEnv>;

/**
 * Where a portal view runs: a partner user's own portal at `/dashboard`, or the operator's view of
 * one partner at `/dashboard/partners/{partner_id}`. Every link of the view starts at `base`.
 */
export interface Portal {
  base: string;
  partnerId: string;
  operator: boolean;
}

/** A page that cannot be shown, rendered by the dashboard's error handler with a message a person understands. */
export class PageError extends Error {
  constructor(
    readonly status: 400 | 401 | 402 | 403 | 404 | 409 | 429 | 500 | 503,
    readonly title: string,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status} ${title}`);
  }
}

export const pageNotFound = () =>
  new PageError(404, "Page not found", "There is nothing here, or it belongs to another partner. Check the address, or go back to the overview.");
