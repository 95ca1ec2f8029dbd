import { getDelivery, latestAttempt, redeliveryWrite } from "../db/deliveries";
import { commitMutation } from "../events/commit";
import { auditContext } from "./access";
import { getEvent } from "../db/outbox";
import { sendDeliveries } from "../events/webhooks/fan-out";
import { authenticatedRoute, type App } from "../hono";
import { ApiError, notFound } from "../lib/problem";
import { json } from "../schemas/common";
import { DeliveryParams, DeliverySchema, serializeDelivery } from "../schemas/webhook";
import { visibleWebhook } from "./webhook-access";

const route = authenticatedRoute({
  method: "post",
  path: "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
  operationId: "redeliverWebhook",
  tags: ["Webhooks"],
  summary: "Send an attempt's event to the endpoint again",
  description:
    "Queues one more attempt of the same event (same `webhook-id`, fresh timestamp and signature), numbered after the last, audited as `webhook.redelivered`. Retries follow it only while the attempt count is within WEBHOOK_RETRY_DELAYS. 409 while a newer attempt is still queued or sending.",
  access: { caller: "operator_or_key", scope: "webhooks:write" },
  errors: ["delivery_pending"],
  request: { params: DeliveryParams },
  responses: { 202: json(DeliverySchema, "The queued attempt.") },
});

export const registerWebhookRedeliver = (app: App) =>
  app.openapi(route, async (c) => {
    const { webhook_id: webhookId, delivery_id: deliveryId } = c.req.valid("param");
    const hook = await visibleWebhook(c, webhookId);
    const original = await getDelivery(c.env.DB, deliveryId);
    const event = original?.webhook_id === hook.id ? await getEvent(c.env.DB, original.event_id) : null;
    // An event past the outbox's retention can no longer be sent: its attempt is history only.
    if (!original || !event) throw notFound("delivery");
    const last = await latestAttempt(c.env.DB, hook.id, event.id);
    if (last && (last.state === "queued" || last.state === "sending")) {
      throw new ApiError("delivery_pending", "A newer attempt of this event is still queued or sending.");
    }
    const attempt = await commitMutation(c.env, redeliveryWrite(c.env.DB, auditContext(c), hook, event, (last?.attempt ?? 0) + 1));
    // Another redelivery took this attempt number a moment ago.
    if (!attempt) throw new ApiError("delivery_pending", "A newer attempt of this event is still queued or sending.");
    // The sweep re-sends a queued attempt whose message was lost.
    await sendDeliveries(c.env, [attempt.id], 0).catch(() => undefined);
    return c.json(serializeDelivery(attempt), 202);
  });
