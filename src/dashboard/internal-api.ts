import { attachPrincipal } from "../auth/internal-principal";
import type { Principal } from "../auth/principal";
import { PageError, pageNotFound, type ApiAnswer, type ApiApp, type DashboardContext, type InternalApi, type Problem } from "./types";

/**
 * The API as the signed-in session calls it (DESIGN §6: "the dashboard acts on the server side
 * through the same functions as the API"). Each call is a Request dispatched to the app itself,
 * with the session's principal attached (src/auth/internal-principal.ts) in place of a
 * credential: the route's own access rule, validation, authority checks (§3a), audit context and
 * after-commit reactions all run as for any API caller, and the dashboard renders the answer. No
 * rule is implemented twice. The request id is the dashboard request's, so the audit rows and
 * log lines of the call name the page's request.
 */
export function internalApi(app: ApiApp, c: DashboardContext, principal: Principal): InternalApi {
  const origin = new URL(c.req.url).origin;
  let executionCtx: DashboardContext["executionCtx"] | undefined;
  try {
    executionCtx = c.executionCtx;
  } catch {
    executionCtx = undefined; // app.request() in tests has none
  }
  const call = async <T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> => {
    const headers: Record<string, string> = { accept: "application/json" };
    const requestId = c.get("requestId");
    if (requestId) headers["x-request-id"] = requestId;
    let text: string | undefined;
    if (body !== undefined) {
      text = JSON.stringify(body);
      headers["content-type"] = "application/json";
      // With a length, hono's body limit reads the header instead of re-wrapping the request,
      // which would lose its attached principal (and the call would be refused 401).
      headers["content-length"] = String(new TextEncoder().encode(text).byteLength);
    }
    const request = attachPrincipal(new Request(new URL(path, origin), { method, headers, body: text }), principal);
    const response = await app.fetch(request, c.env, executionCtx);
    const parsed: unknown = await response.json().catch(() => null);
    if (response.ok) return { ok: true, status: response.status, body: parsed as T };
    const problem = (parsed ?? {}) as Partial<Problem>;
    return {
      ok: false,
      status: response.status,
      problem: { status: response.status, code: problem.code ?? "internal_error", detail: problem.detail ?? "The request failed.", errors: problem.errors },
    };
  };
  return {
    get: (path) => call("GET", path),
    post: (path, body) => call("POST", path, body ?? {}),
    patch: (path, body) => call("PATCH", path, body),
    delete: (path) => call("DELETE", path),
  };
}

/**
 * The body of a successful answer; anything else becomes the page a person should see: absent or
 * another partner's objects are "not found" (the API answers 404 for both), the rest says what the
 * API said.
 */
export function expectOk<T>(answer: ApiAnswer<T>): T {
  if (answer.ok) return answer.body;
  throw pageErrorOf(answer.problem);
}

export function pageErrorOf(problem: Problem): PageError {
  const { status, code, detail } = problem;
  if (status === 404) return pageNotFound();
  // The session's principal rides on the request: a 401 here means it was lost on the way, never the user's fault.
  if (status === 401) return new PageError(500, "Something went wrong", `The dashboard could not act for your session (${code}).`);
  if (status === 403) return new PageError(403, "Not allowed", `${detail} Ask someone with more access, or the operator.`);
  if (status === 409) return new PageError(409, "That cannot be done now", detail);
  if (status === 429) return new PageError(429, "Slow down", detail);
  if (status === 503) return new PageError(503, "Try again in a moment", detail);
  if (status >= 500) return new PageError(500, "Something went wrong", `${detail} (${code})`);
  return new PageError(400, "That did not work", detail);
}
