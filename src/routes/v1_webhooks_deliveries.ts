import { listDeliveries } from "../db/deliveries";
import { authenticatedRoute, type App } from "../hono";
import { readPage } from "../lib/cursor";
import { json, pageOf, PageQuery } from "../schemas/common";
import { DeliverySchema, serializeDelivery, WebhookParams } from "../schemas/webhook";
import { visibleWebhook } from "./webhook-access";

const route = authenticatedRoute({
  method: "get",
  path: "/v1/webhooks/{webhook_id}/deliveries",
  operationId: "listWebhookDeliveries",
  tags: ["Webhooks"],
  summary: "An endpoint's delivery log: one row per attempt, newest first",
  description: "Attempts are kept 30 days. A queued retry is listed with its `scheduled_at`; the attempt before it names it in `next_retry_at`.",
  access: { caller: "operator_or_key", scope: "webhooks:read" },
  errors: ["invalid_cursor"],
  request: { params: WebhookParams, query: PageQuery },
  responses: { 200: json(pageOf(DeliverySchema, "WebhookDeliveryPage"), "A page of attempts.") },
});

export const registerWebhookDeliveriesList = (app: App) =>
  app.openapi(route, async (c) => {
    const hook = await visibleWebhook(c, c.req.valid("param").webhook_id);
    const read = (beforeSeq: number, limit: number) => listDeliveries(c.env.DB, hook.id, beforeSeq, limit);
    return c.json(await readPage(c.req.valid("query"), read, (rows) => rows.map(serializeDelivery)), 200);
  });
