import { webhookWrites } from "../db/webhooks";
import { commitMutation } from "../events/commit";
import { authenticatedRoute, type App } from "../hono";
import { json, jsonBody } from "../schemas/common";
import { serializeWebhook, WebhookParams, WebhookPatchSchema, WebhookSchema } from "../schemas/webhook";
import { auditContext } from "./access";
import { assertMayHear, checkedTarget, visibleWebhook } from "./webhook-access";

const route = authenticatedRoute({
  method: "patch",
  path: "/v1/webhooks/{webhook_id}",
  operationId: "updateWebhook",
  tags: ["Webhooks"],
  summary: "Change an endpoint's URL, events, description or status",
  description: "Setting `status: enabled` on an endpoint Keyward disabled clears its failure record.",
  access: { caller: "operator_or_key", scope: "webhooks:write" },
  errors: ["scope_escalation"],
  request: { params: WebhookParams, body: jsonBody(WebhookPatchSchema) },
  responses: { 200: json(WebhookSchema, "The changed endpoint.") },
});

export const registerWebhooksUpdate = (app: App) =>
  app.openapi(route, async (c) => {
    const hook = await visibleWebhook(c, c.req.valid("param").webhook_id);
    const body = c.req.valid("json");
    const patch = { ...body, ...(body.url !== undefined && { url: checkedTarget(c, body.url) }) };
    if (body.events) assertMayHear(c, body.events);
    const changed = await commitMutation(c.env, webhookWrites.update(c.env.DB, auditContext(c), hook, patch));
    // Null only when a racing DELETE took the row first.
    return c.json(serializeWebhook(changed ?? (await visibleWebhook(c, hook.id))), 200);
  });
