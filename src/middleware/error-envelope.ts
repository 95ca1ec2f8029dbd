import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { ApiError } from "../lib/problem";

export type EnvelopeFormatter = (c: Context<AppEnv>, error: ApiError) => Response;

/**
 * Re-dresses any error of the routes behind it in another API's documented error shape (the seed
 * systems'), keeping the headers already set (X-Request-Id, RateLimit-*). Errors that are not
 * ApiErrors become a 500 without detail.
 *
 * @example
 * ```ts
 * createRoute({ ..., middleware: [errorEnvelope(mineskinError), authenticate({ accept: "key" })] });
 * ```
 */
export function errorEnvelope(format: EnvelopeFormatter): MiddlewareHandler<AppEnv> {
  return async function errorEnvelopeMiddleware(c, next) {
    await next();
    if (!c.error) return;
    const error = c.error instanceof ApiError ? c.error : new ApiError("internal_error", "Something went wrong on our side.");
    const response = format(c, error);
    // Hono carries the earlier response's headers over; the envelope's content type wins.
    c.res = undefined;
    c.res = response;
    for (const [name, value] of Object.entries(error.extra.headers ?? {})) c.res.headers.set(name, value);
  };
}
