import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../hono";
import { json } from "../schemas/common";

const route = createRoute({
  method: "get",
  path: "/healthz",
  operationId: "getHealth",
  tags: ["Health"],
  summary: "Liveness: answers without touching any storage",
  responses: { 200: json(z.object({ status: z.literal("ok") }), "The Worker is up.") },
});

export const registerHealthz = (app: App) => app.openapi(route, (c) => c.json({ status: "ok" as const }, 200));
