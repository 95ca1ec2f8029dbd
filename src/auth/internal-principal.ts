import type { Principal } from "./principal";

/**
 * Principals attached to requests the Worker builds for itself: the dashboard (src/dashboard/)
 * acts through the API by dispatching an internal `Request` to the app, carrying the signed-in
 * session's principal here instead of a credential. Only code inside this Worker holds those
 * Request objects, so nothing from outside can put one in this map: an external request, whatever
 * its headers, is never found in it (test/dashboard/internal-api.test.ts proves it).
 *
 * Keyed by the Request object itself, so it must reach `authenticate` unreplaced: the dashboard
 * sends a Content-Length with every body, which keeps hono's body limit from re-wrapping it.
 */
const attached = new WeakMap<Request, Principal>();

/** Marks `request` as made on behalf of `principal`; returns the request. */
export function attachPrincipal(request: Request, principal: Principal): Request {
  attached.set(request, principal);
  return request;
}

/** The principal the Worker attached to this request object, if it made it itself. */
export const attachedPrincipal = (request: Request): Principal | undefined => attached.get(request);
