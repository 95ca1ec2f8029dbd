import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { methodNotAllowed } from "hono/method-not-allowed";
import { requestId } from "hono/request-id";
import type { AppEnv } from "./env";
import { StorageError } from "./lib/instrument";
import type { ErrorCode } from "./lib/errors";
import { ApiError, problemResponse } from "./lib/problem";
import { cors } from "./middleware/cors";
import { jsonOnly, limitBody } from "./middleware/json-only";
import { requestLog } from "./middleware/request-log";
import { serverTiming } from "./middleware/server-timing";
import { usageReports } from "./middleware/usage-reports";
import { openApiDocument } from "./openapi";
import type { App } from "./hono";
import { registerRoutes } from "./routes";
import { registerDashboard } from "./dashboard";

const HTTP_CODES: Record<number, ErrorCode> = {
  400: "malformed_request",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

/** Maps anything thrown to problem+json; internals (messages, stacks) are logged, never sent. */
function onError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof ApiError) return problemResponse(c, err);
  if (err instanceof StorageError) {
    console.error(JSON.stringify({ level: "error", msg: "storage unavailable", request_id: c.get("requestId"), storage: err.storage }));
    return problemResponse(
      c,
      new ApiError("storage_unavailable", "A storage dependency is unavailable. Nothing was changed; retry shortly.", {
        headers: { "retry-after": "1" },
      }),
    );
  }
  if (err instanceof HTTPException && err.status < 500) {
    const detail = err.status === 400 ? "The request body is not valid JSON." : err.message;
    return problemResponse(c, new ApiError(HTTP_CODES[err.status] ?? "bad_request", detail));
  }
  console.error(
    JSON.stringify({ level: "error", msg: "unhandled", request_id: c.get("requestId"), error: err.name, message: err.message }),
  );
  return problemResponse(c, new ApiError("internal_error", "Something went wrong on our side. Retry later."));
}

/** Builds the Worker's app: middleware, error mapping, every route, the OpenAPI document and docs. */
export function createApp(): App {
  const app: App = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const errors = result.error.issues.map((issue) => ({
        path: issue.path.map(String).join(".") || result.target,
        message: issue.message,
      }));
      return problemResponse(c, new ApiError("validation_error", `The request ${result.target} is not valid.`, { errors }));
    },
  });

  app.use(requestId({ headerName: "X-Request-Id" }));
  app.use(serverTiming());
  app.use(requestLog());
  app.use(cors());
  app.use(usageReports());
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, allowed) =>
        problemResponse(
          c,
          new ApiError("method_not_allowed", `Use one of: ${allowed.join(", ")}.`, { headers: { Allow: allowed.join(", ") } }),
        ),
    }),
  );
  app.use(limitBody());
  // OAuth2's token endpoint speaks forms by its own standard (RFC 6749 §4.4.2).
  // The dashboard posts HTML forms; its own Origin rule (src/dashboard/csrf.ts) stands in for CORS there.
  app.use(jsonOnly({ except: ["/oauth2/token"], exceptUnder: ["/dashboard"] }));

  app.openAPIRegistry.registerComponent("securitySchemes", "operator", {
    type: "http",
    scheme: "bearer",
    description: "The operator's ADMIN_TOKEN.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "A partner API key (kw_sk_…, kw_pk_…, kw_tk_…, kw_pat_…). Also accepted in X-API-Key or x-APIKey.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKeyHeader", { type: "apiKey", in: "header", name: "X-API-Key" });

  registerRoutes(app);
  registerDashboard(app);

  // Generated per request from the routes' schemas plus this deployment's configuration (tiers, PUBLIC_ORIGIN).
  app.get("/openapi.json", (c) => c.json(openApiDocument(app, c)));
  // /docs is not a Worker route: Swagger UI is a static asset (public/docs/, see wrangler.toml [assets]).

  app.notFound((c) => problemResponse(c, new ApiError("route_not_found", `No route ${c.req.method} ${c.req.path}.`)));
  app.onError(onError);
  return app;
}
