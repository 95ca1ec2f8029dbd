import { authenticatedRoute, type App } from "../hono";
import { json, jsonBody } from "../schemas/common";
import { WebhookCreateSchema, WebhookWithSecretSchema } from "../schemas/webhook";
import { createWebhook } from "./webhook-access";

const route = authenticatedRoute({
  method: "post",
  path: "/v1/webhooks",
  operationId: "createOperatorWebhook",
  tags: ["Webhooks"],
  summary: "Create an operator endpoint: every partner's events",
  access: { caller: "operator" },
  errors: ["too_many_webhooks"],
  request: { body: jsonBody(WebhookCreateSchema) },
  responses: { 201: json(WebhookWithSecretSchema, "The new endpoint and its signing secret.") },
});

export const registerOperatorWebhooksCreate = (app: App) => app.openapi(route, async (c) => createWebhook(c, null, c.req.valid("json")));
