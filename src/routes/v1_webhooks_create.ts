import { authenticatedRoute, type App } from "../hono";
import { json, jsonBody } from "../schemas/common";
import { PartnerParams } from "../schemas/params";
import { WebhookCreateSchema, WebhookWithSecretSchema } from "../schemas/webhook";
import { visiblePartner } from "./access";
import { createWebhook } from "./webhook-access";

const route = authenticatedRoute({
  method: "post",
  path: "/v1/partners/{partner_id}/webhooks",
  operationId: "createWebhook",
  tags: ["Webhooks"],
  summary: "Create a webhook endpoint for a partner's events",
  description:
    "Deliveries follow Standard Webhooks: sign-checked with the `secret` returned here (and only here). At most 20 endpoints per partner. A key subscribing to key events (key.*, credits.low, rate_limit.exceeded), which carry the key, needs keys:read as well.",
  access: { caller: "operator_or_key", scope: "webhooks:write" },
  errors: ["too_many_webhooks", "scope_escalation"],
  request: { params: PartnerParams, body: jsonBody(WebhookCreateSchema) },
  responses: { 201: json(WebhookWithSecretSchema, "The new endpoint and its signing secret.") },
});

export const registerWebhooksCreate = (app: App) =>
  app.openapi(route, async (c) => {
    const partner = await visiblePartner(c, c.req.valid("param").partner_id);
    return createWebhook(c, partner.id, c.req.valid("json"));
  });
