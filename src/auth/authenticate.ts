import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { constantTimeEqual } from "../keys/crypto";
import { ApiError, invalidApiKey } from "../lib/problem";
import { presentedCredential } from "./credentials";
import { keyPrincipal, operatorPrincipal, type Principal } from "./principal";
import { missingScopes } from "./scopes";
import type { Context } from "hono";
import type { RateLimitState } from "../guard/policy";
import { checkKey, type KeyRefusal } from "./verify-key";

export interface AuthenticateOptions {
  /** Who may call: the operator's ADMIN_TOKEN, a partner key, or either. Default `"any"`. */
  accept?: "operator" | "key" | "any";
}

function isOperatorToken(presented: string, adminToken: string | undefined): boolean {
  // An unset or empty ADMIN_TOKEN must never match an empty credential.
  return !!adminToken && constantTimeEqual(presented, adminToken);
}

/**
 * Resolves the caller into `c.var.principal` or answers 401 problem+json.
 *
 * @example
 * ```ts
 * app.use("/v1/me/*", authenticate({ accept: "key" }));
 * ```
 */
export function authenticate(options: AuthenticateOptions = {}): MiddlewareHandler<AppEnv> {
  const accept = options.accept ?? "any";
  return async function authenticateMiddleware(c, next) {
    const presented = presentedCredential(c.req.raw.headers);
    if (!presented) throw invalidApiKey();

    let principal: Principal;
    if (accept !== "key" && isOperatorToken(presented, c.env.ADMIN_TOKEN)) {
      principal = operatorPrincipal;
    } else {
      if (accept === "operator") throw invalidApiKey();
      const result = await checkKey(c.env, presented);
      if (result.ratelimit) setRateLimitHeaders(c, result.ratelimit);
      if (!result.ok) throw refusal(result.reason, result.ratelimit);
      principal = keyPrincipal(result.auth, { credits: result.credits });
    }
    c.set("principal", principal);
    await next();
  };
}

/** IETF RateLimit header fields, on every key-authenticated response. */
function setRateLimitHeaders(c: Context<AppEnv>, ratelimit: RateLimitState) {
  c.header("RateLimit-Limit", String(ratelimit.limit));
  c.header("RateLimit-Remaining", String(ratelimit.remaining));
  c.header("RateLimit-Reset", String(ratelimit.reset));
}

function refusal(reason: KeyRefusal, ratelimit: RateLimitState | undefined): ApiError {
  if (reason === "rate_limited") {
    return new ApiError(429, "rate_limited", "This key has used its rate limit for the current window.", {
      headers: { "retry-after": String(Math.max(1, ratelimit?.reset ?? 1)) },
    });
  }
  if (reason === "credits_exhausted") return new ApiError(402, "credits_exhausted", "This key has no credits left.");
  return invalidApiKey();
}

/** Refuses a key caller that lacks `scope`; the operator holds every scope. */
export function requireScope(principal: Principal, scope: string): void {
  if (principal.kind === "operator") return;
  if (missingScopes([scope], principal.scopes).length > 0) {
    throw new ApiError(403, "insufficient_scope", `This key lacks the "${scope}" scope.`);
  }
}

/** A key may only see its own partner's objects; anything else is reported as absent, not forbidden. */
export function canSeePartner(principal: Principal, partnerId: string): boolean {
  return principal.kind === "operator" || principal.auth.partner.id === partnerId;
}
