import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { constantTimeEqual } from "../keys/crypto";
import { ApiError, invalidApiKey } from "../lib/problem";
import { maskKey } from "../keys/format";
import { classifyCredential, presentedCredential } from "./credentials";
import { failureThrottle } from "./failure-throttle";
import { attachedPrincipal } from "./internal-principal";
import { keyPrincipal, operatorPrincipal, type Principal } from "./principal";
import { missingScopes } from "./scopes";
import type { RateLimitState } from "../limiter/policy";
import type { AllowlistRefusal, RequestFacts } from "../allowlists/compile";
import { rateLimitFields } from "./ratelimit-fields";
import { checkCredential, type KeyRefusal } from "./verify-key";

export interface AuthenticateOptions {
  /** Who may call: the operator's ADMIN_TOKEN, a partner key, or either. Default `"any"`. */
  accept?: "operator" | "key" | "any";
  /**
   * The scope a key caller needs. It is decided inside the key's admission, so a refusal spends
   * nothing and is counted as `refused` in the key's usage (DESIGN §7).
   */
  scope?: string;
}

/** Shorter operator tokens are refused outright: a guessable ADMIN_TOKEN is a misconfiguration. */
const MIN_ADMIN_TOKEN_LENGTH = 32;

const notConfigured = () =>
  new ApiError("not_configured", `This Keyward deployment has no ADMIN_TOKEN of at least ${MIN_ADMIN_TOKEN_LENGTH} characters set.`);

/**
 * Whether `presented` is the operator token. Throws 503 `not_configured` when the deployment has
 * no usable ADMIN_TOKEN and the request is the operator's: it presents the short token itself, or
 * calls an operator-only route. An unset token never matches anything, an empty credential least.
 */
function isOperatorToken(presented: string, adminToken: string | undefined, operatorOnly: boolean): boolean {
  const usable = adminToken !== undefined && adminToken.length >= MIN_ADMIN_TOKEN_LENGTH;
  if (usable) return constantTimeEqual(presented, adminToken);
  if (operatorOnly || (adminToken && constantTimeEqual(presented, adminToken))) throw notConfigured();
  return false;
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
    // A request the Worker made for itself (the dashboard acting for its signed-in session) carries
    // its principal, already checked, instead of a credential; `accept` still applies to it.
    const internal = attachedPrincipal(c.req.raw);
    if (internal) {
      if (accept === "operator" && internal.kind !== "operator") throw new ApiError("operator_only", "Only the operator may call this route.");
      if (accept === "key" && internal.kind !== "key") throw invalidApiKey();
      c.set("principal", internal);
      return next();
    }
    const presented = presentedCredential(c.req.raw.headers);
    const ip = c.req.header("cf-connecting-ip");
    // Only failures meet the throttle: a valid credential is served whatever its address did.
    const failed = () => {
      if (!ip) return invalidApiKey();
      const throttle = failureThrottle(c.env);
      const wait = throttle.retryAfter(ip);
      if (wait > 0) return tooManyFailures(wait);
      throttle.recordFailure(ip);
      return invalidApiKey();
    };
    if (!presented) throw failed();

    let principal: Principal;
    if (accept !== "key" && isOperatorToken(presented, c.env.ADMIN_TOKEN, accept === "operator")) {
      principal = operatorPrincipal;
    } else {
      const credential = classifyCredential(c.env, presented);
      // Logged masked, and only when shaped like one of ours: a stranger's pasted secret is never logged, even in part.
      if (credential.kind === "key") c.set("maskedKey", maskKey(presented));
      const facts = requestFacts(c.req.raw.headers);
      // On an operator-only route the check spends nothing: a valid key learns it is in the wrong place, not that it is invalid.
      const result = await checkCredential(c.env, credential, {
        facts,
        cost: accept === "operator" ? 0 : 1,
        ...(options.scope && accept !== "operator" ? { requiredScopes: [options.scope] } : {}),
      });
      if (accept === "operator") throw result.ok ? new ApiError("operator_only", "Only the operator may call this route.") : failed();
      const refused = result.ok ? null : refusal(result.reason, result.ratelimit, options.scope);
      // Only an authenticated caller learns its limits: a 401 must look the same for every bad key.
      if (result.ratelimit && result.auth && refused?.status !== 401) setRateLimitHeaders(c, result.ratelimit);
      // Origins are checked first: any later refusal (429, 402, a scope) passed the key's origin
      // list, and the browser must be able to read it, Retry-After included.
      if (!result.ok && refused!.status !== 401 && result.reason !== "origin_not_allowed" && facts.origin !== null) {
        c.set("corsOrigin", facts.origin);
      }
      if (!result.ok) throw refused!.status === 401 ? failed() : refused;
      principal = keyPrincipal(result);
      // The key's own list admitted this browser origin: the response may be read by it.
      if (facts.origin !== null) c.set("corsOrigin", facts.origin);
    }
    c.set("principal", principal);
    await next();
  };
}

const ALLOWLIST_REFUSALS: Record<AllowlistRefusal, string> = {
  origin_not_allowed: "This key may not be used from this browser origin.",
  ip_not_allowed: "This key may not be used from this IP address.",
  agent_not_allowed: "This key may not be used by this User-Agent.",
};

/** Only CF-Connecting-IP counts: Cloudflare's edge sets it and clients cannot. */
export function requestFacts(headers: Headers): RequestFacts {
  return {
    origin: headers.get("origin"),
    ip: headers.get("cf-connecting-ip"),
    // Browsers cannot set User-Agent, so MineSkin's own header stands in for it when present.
    userAgent: headers.get("mineskin-user-agent") ?? headers.get("user-agent"),
  };
}

/** The answer to a failed authentication from an address that failed too often. */
const tooManyFailures = (wait: number) =>
  new ApiError("too_many_failed_attempts", "Too many failed authentications from this address. Retry later.", {
    headers: { "retry-after": String(wait) },
  });

/**
 * Rate-limit fields on every key-authenticated response: the IETF structured fields
 * (`RateLimit-Policy`, `RateLimit`; DESIGN §3b) and the three legacy ones older clients read.
 */
function setRateLimitHeaders(c: Context<AppEnv>, ratelimit: RateLimitState) {
  for (const [name, value] of Object.entries(rateLimitFields(ratelimit))) c.header(name, value);
}

/**
 * Seconds a rate-limited caller waits: until every limit of its tier admits it again (the guard's
 * `retryAfter`), which may be longer than the most restrictive limit's Reset when several limits
 * are full.
 */
export const retryAfterOf = (ratelimit: RateLimitState | undefined) => Math.max(1, ratelimit?.retryAfter ?? ratelimit?.reset ?? 1);

/** The problem a refused key gets on the canonical API; the verify API reports `reason` instead. */
export function refusal(reason: KeyRefusal, ratelimit: RateLimitState | undefined, scope?: string): ApiError {
  if (reason === "rate_limited") {
    return new ApiError("rate_limited", "This key has used its rate limit for the current window.", {
      headers: { "retry-after": String(retryAfterOf(ratelimit)) },
    });
  }
  if (reason === "credits_exhausted") return new ApiError("credits_exhausted", "This key has no credits left.");
  if (reason in ALLOWLIST_REFUSALS) return new ApiError(reason as AllowlistRefusal, ALLOWLIST_REFUSALS[reason as AllowlistRefusal]);
  if (reason === "insufficient_scope") {
    return new ApiError(reason, scope ? `This key lacks the "${scope}" scope.` : "This key lacks a scope this request needs.");
  }
  return invalidApiKey();
}

/** Refuses a key caller that lacks `scope`; the operator holds every scope. */
export function requireScope(principal: Principal, scope: string): void {
  if (principal.kind === "operator") return;
  if (missingScopes([scope], principal.scopes).length > 0) {
    throw new ApiError("insufficient_scope", `This key lacks the "${scope}" scope.`);
  }
}

/** A key may only see its own partner's objects; anything else is reported as absent, not forbidden. */
export function canSeePartner(principal: Principal, partnerId: string): boolean {
  return principal.kind === "operator" || principal.auth.partner.id === partnerId;
}
