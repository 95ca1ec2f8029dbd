import { listWebhooks } from "../db/webhooks";
import { authenticatedRoute, type App } from "../hono";
import { readPage } from "../lib/cursor";
import { json, pageOf, PageQuery } from "../schemas/common";
import { PartnerParams } from "../schemas/params";
import { serializeWebhook, WebhookSchema } from "../schemas/webhook";
import { visiblePartner } from "./access";

const route = authenticatedRoute({
  method: "get",
  path: "/v1/partners/{partner_id}/webhooks",
  operationId: "listWebhooks",
  tags: ["Webhooks"],
  summary: "List a partner's webhook endpoints, newest first",
  access: { caller: "operator_or_key", scope: "webhooks:read" },
  errors: ["invalid_cursor"],
  request: { params: PartnerParams, query: PageQuery },
  responses: { 200: json(pageOf(WebhookSchema, "WebhookPage"), "A page of endpoints (never their secrets).") },
});

export const registerWebhooksList = (app: App) =>
  app.openapi(route, async (c) => {
    const partner = await visiblePartner(c, c.req.valid("param").partner_id);
    const read = (beforeSeq: number, limit: number) => listWebhooks(c.env.DB, partner.id, beforeSeq, limit);
    return c.json(await readPage(c.req.valid("query"), read, (rows) => rows.map(serializeWebhook)), 200);
  });
