import { listWebhooks } from "../db/webhooks";
import { authenticatedRoute, type App } from "../hono";
import { readPage } from "../lib/cursor";
import { json, pageOf, PageQuery } from "../schemas/common";
import { serializeWebhook, WebhookSchema } from "../schemas/webhook";

const route = authenticatedRoute({
  method: "get",
  path: "/v1/webhooks",
  operationId: "listOperatorWebhooks",
  tags: ["Webhooks"],
  summary: "List the operator's own endpoints, newest first",
  access: { caller: "operator" },
  errors: ["invalid_cursor"],
  request: { query: PageQuery },
  responses: { 200: json(pageOf(WebhookSchema, "WebhookPage"), "A page of endpoints (never their secrets).") },
});

export const registerOperatorWebhooksList = (app: App) =>
  app.openapi(route, async (c) => {
    const read = (beforeSeq: number, limit: number) => listWebhooks(c.env.DB, null, beforeSeq, limit);
    return c.json(await readPage(c.req.valid("query"), read, (rows) => rows.map(serializeWebhook)), 200);
  });
