import { createRoute, type OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { authenticate, requireScope } from "./auth/authenticate";
import type { AppEnv } from "./env";
import { ERROR_CODES, type ErrorCode } from "./lib/errors";
import { ProblemSchema } from "./schemas/common";

/** The Worker's Hono app; routes register themselves on it (src/routes/). */
export type App = OpenAPIHono<AppEnv>;

/** Who may call a route. */
export type Caller = "operator" | "key" | "operator_or_key";

/** Management scopes of Keyward's own API, checked for key callers (the operator holds them all). */
export type ManagementScope = "keys:read" | "keys:write" | "keys:verify" | "users:read" | "users:write" | "audit:read" | "webhooks:read" | "webhooks:write";

export interface Access {
  caller: Caller;
  /** What a key caller must hold; refused with 403 `insufficient_scope` before the handler runs. */
  scope?: ManagementScope;
}

type SecurityRequirement = Record<string, string[]>;

/**
 * OpenAPI 3.1 lets a non-OAuth requirement list the roles it needs: a key's requirement names the
 * scope the route enforces, so generated clients and readers see it where the middleware checks it.
 */
function securityOf({ caller, scope }: Access): SecurityRequirement[] {
  const keyNeeds: string[] = scope ? [scope] : [];
  const key: SecurityRequirement[] = [{ apiKey: keyNeeds }, { apiKeyHeader: keyNeeds }];
  if (caller === "operator") return [{ operator: [] }];
  return caller === "key" ? key : [{ operator: [] }, ...key];
}

const ACCEPT = { operator: "operator", key: "key", operator_or_key: "any" } as const;

/** What authenticating alone can answer, by caller; a key caller also meets its allowlists and limits. */
const AUTHENTICATION_ERRORS: readonly ErrorCode[] = [
  "validation_error", "conflicting_credentials", "invalid_api_key", "too_many_failed_attempts", "not_configured", "storage_unavailable",
];
const KEY_ERRORS: readonly ErrorCode[] = [
  "origin_not_allowed", "ip_not_allowed", "agent_not_allowed", "rate_limited", "credits_exhausted", "temporarily_unavailable",
];
const CALLER_ERRORS: Record<Caller, readonly ErrorCode[]> = {
  // A key on an operator-only route is still checked (at no cost) to tell it apart from a bad one.
  operator: [...AUTHENTICATION_ERRORS, "operator_only", "temporarily_unavailable"],
  key: [...AUTHENTICATION_ERRORS, ...KEY_ERRORS],
  operator_or_key: [...AUTHENTICATION_ERRORS, ...KEY_ERRORS],
};
/** Every method but GET and HEAD meets the body limit and the JSON-only rule (src/middleware/json-only.ts), body declared or not. */
const UNSAFE_METHOD_ERRORS: readonly ErrorCode[] = ["payload_too_large", "unsupported_media_type"];

/** One problem+json response per status, its description naming every code the route can answer with (also for public routes). */
export function problemResponses(codes: Iterable<ErrorCode>) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = ERROR_CODES[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<number, { description: string; content: { "application/problem+json": { schema: typeof ProblemSchema } } }> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[status] = {
      description: list.map((code) => `\`${code}\`: ${ERROR_CODES[code].when}`).join(" "),
      content: { "application/problem+json": { schema: ProblemSchema } },
    };
  }
  return responses;
}

type AuthenticatedRouteConfig = Omit<RouteConfig, "security"> & {
  access: Access;
  /** Codes this route's own logic may answer with, beyond what its access and request imply. */
  errors?: readonly ErrorCode[];
  /** Middleware that must run before authentication (a seed's error envelope, a header check). */
  before?: readonly MiddlewareHandler<AppEnv>[];
  /**
   * A seed's own error shapes replace the problem+json responses: the route documents them itself,
   * and nothing is derived.
   */
  ownErrorShapes?: boolean;
};

/**
 * A route that says once who may call it. From `access` it derives the OpenAPI security, the
 * authentication and scope middleware, and the documented error responses, so the three can
 * never disagree.
 *
 * @example
 * ```ts
 * const route = authenticatedRoute({
 *   method: "get", path: "/v1/keys/{key_id}", operationId: "getKey",
 *   access: { caller: "operator_or_key", scope: "keys:read" },
 *   request: { params: KeyParams },
 *   responses: { 200: json(ApiKeySchema, "The key.") },
 * });
 * ```
 */
export function authenticatedRoute<const R extends AuthenticatedRouteConfig>(config: R) {
  const { access, errors = [], before = [], ownErrorShapes, responses, ...rest } = config;
  const middleware: MiddlewareHandler<AppEnv>[] = [...before, authenticate({ accept: ACCEPT[access.caller], scope: access.scope })];
  // A key's scope is decided in its admission; this also covers principals that skip it (the dashboard's).
  if (access.scope) middleware.push(requireScopeMiddleware(access.scope));
  const codes: ErrorCode[] = [...CALLER_ERRORS[access.caller], ...errors];
  if (access.scope) codes.push("insufficient_scope");
  if (rest.path.includes("{")) codes.push("not_found");
  if (rest.method !== "get" && rest.method !== "head") codes.push(...UNSAFE_METHOD_ERRORS);
  if (rest.request?.body) codes.push("malformed_request");
  return createRoute({
    ...rest,
    security: securityOf(access),
    middleware,
    responses: { ...(ownErrorShapes ? {} : problemResponses(codes)), ...responses } as R["responses"],
  });
}

function requireScopeMiddleware(scope: ManagementScope): MiddlewareHandler<AppEnv> {
  return async function requireScopeHandler(c, next) {
    requireScope(c.get("principal"), scope);
    await next();
  };
}
