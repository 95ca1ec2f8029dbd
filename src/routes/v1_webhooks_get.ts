import { authenticatedRoute, type App } from "../hono";
import { json } from "../schemas/common";
import { serializeWebhook, WebhookParams, WebhookSchema } from "../schemas/webhook";
import { visibleWebhook } from "./webhook-access";

const route = authenticatedRoute({
  method: "get",
  path: "/v1/webhooks/{webhook_id}",
  operationId: "getWebhook",
  tags: ["Webhooks"],
  summary: "Read a webhook endpoint",
  access: { caller: "operator_or_key", scope: "webhooks:read" },
  request: { params: WebhookParams },
  responses: { 200: json(WebhookSchema, "The endpoint (never its secret).") },
});

export const registerWebhooksGet = (app: App) =>
  app.openapi(route, async (c) => c.json(serializeWebhook(await visibleWebhook(c, c.req.valid("param").webhook_id)), 200));
