import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { statusOf, type ErrorCode } from "./errors";

export interface FieldError {
  path: string;
  message: string;
}

/**
 * An error with a stable machine-readable `code`, rendered as RFC 9457 problem+json.
 * Only the title and detail given here reach the wire; causes stay in logs.
 */
export class ApiError extends Error {
  /** Always the code's own status (src/lib/errors.ts): a code never travels with two. */
  readonly status: ContentfulStatusCode;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(`${code}: ${detail}`);
    this.status = statusOf(code);
  }
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

function problemBody(status: number, code: string, detail: string, requestId: string, errors?: FieldError[]) {
  return {
    type: `https://keyward.dev/problems/${code}`,
    title: TITLES[status] ?? "Error",
    status,
    detail,
    code,
    request_id: requestId,
    ...(errors ? { errors } : {}),
  };
}

export function problemResponse(c: Context, err: ApiError): Response {
  const body = problemBody(err.status, err.code, err.detail, c.get("requestId") ?? "", err.extra.errors);
  // Through the context, so headers other middleware already set (X-Request-Id, rate limits) survive.
  return c.body(JSON.stringify(body), err.status, { "content-type": "application/problem+json", ...err.extra.headers });
}

// One body for every refused key, so a caller cannot tell unknown from revoked from wrong secret.
export const invalidApiKey = () =>
  new ApiError("invalid_api_key", "The API key is missing, malformed, unknown, expired or revoked.", {
    headers: { "www-authenticate": 'Bearer realm="keyward"' },
  });

export const notFound = (what: string) => new ApiError("not_found", `No ${what} with that id exists.`);

export const validationError = (errors: FieldError[], detail = "The request is not valid.") =>
  new ApiError("validation_error", detail, { errors });
