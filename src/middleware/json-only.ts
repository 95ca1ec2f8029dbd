import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env";
import { ApiError } from "../lib/problem";

export const MAX_BODY_BYTES = 1024 * 1024;

const tooLarge = () => {
  throw new ApiError("payload_too_large", `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`);
};

/** Caps every body at 1 MiB (413 problem+json), counted as it streams, not from Content-Length alone. */
export const limitBody = (): MiddlewareHandler<AppEnv> => bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge });

/**
 * Bodies must be `application/json`: form and text bodies are what a browser may send cross-origin
 * without a preflight, so refusing them keeps every state change behind CORS. Routes that speak
 * forms by their own standard (OAuth2's token endpoint) are listed in `except`; whole trees that
 * do (the dashboard's HTML forms, guarded by its own Origin rule instead) in `exceptUnder`.
 */
export function jsonOnly(options: { except?: string[]; exceptUnder?: string[] } = {}): MiddlewareHandler<AppEnv> {
  const except = new Set(options.except ?? []);
  const under = options.exceptUnder ?? [];
  const exempt = (path: string) => except.has(path) || under.some((root) => path === root || path.startsWith(`${root}/`));
  return async function jsonOnlyMiddleware(c, next) {
    if (c.req.method === "GET" || c.req.method === "HEAD" || c.req.method === "OPTIONS" || exempt(c.req.path)) {
      return next();
    }
    const type = c.req.header("content-type");
    const hasBody = c.req.raw.body !== null && c.req.header("content-length") !== "0";
    if ((type !== undefined || hasBody) && !/^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(type ?? "")) {
      throw new ApiError("unsupported_media_type", "Request bodies must be JSON with Content-Type: application/json.");
    }
    await next();
  };
}
