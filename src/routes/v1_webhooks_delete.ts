import { webhookWrites } from "../db/webhooks";
import { commitMutation } from "../events/commit";
import { authenticatedRoute, type App } from "../hono";
import { WebhookParams } from "../schemas/webhook";
import { auditContext } from "./access";
import { visibleWebhook } from "./webhook-access";

const route = authenticatedRoute({
  method: "delete",
  path: "/v1/webhooks/{webhook_id}",
  operationId: "deleteWebhook",
  tags: ["Webhooks"],
  summary: "Delete an endpoint and its delivery log",
  description: "Attempts still queued are dropped. The audit log keeps `webhook.deleted`.",
  access: { caller: "operator_or_key", scope: "webhooks:write" },
  request: { params: WebhookParams },
  responses: { 204: { description: "Deleted." } },
});

export const registerWebhooksDelete = (app: App) =>
  app.openapi(route, async (c) => {
    const hook = await visibleWebhook(c, c.req.valid("param").webhook_id);
    await commitMutation(c.env, webhookWrites.remove(c.env.DB, auditContext(c), hook));
    return c.body(null, 204);
  });
