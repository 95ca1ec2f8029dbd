import { pepperOf } from "../auth/verify-key";
import { webhookWrites } from "../db/webhooks";
import { commitMutation } from "../events/commit";
import { sealSecret } from "../events/webhooks/sealed";
import { newWebhookSecret } from "../events/webhooks/signature";
import { authenticatedRoute, type App } from "../hono";
import { nowIso } from "../lib/time";
import { now } from "../lib/clock";
import { NO_STORE, json } from "../schemas/common";
import { notFound } from "../lib/problem";
import { serializeWebhook, WebhookParams, WebhookWithSecretSchema } from "../schemas/webhook";
import { auditContext } from "./access";
import { visibleWebhook } from "./webhook-access";

/** Both secrets sign for this long after a rotation, so receivers can roll over without losing a delivery (DESIGN §8). */
export const PREVIOUS_SECRET_MS = 24 * 3600_000;

const route = authenticatedRoute({
  method: "post",
  path: "/v1/webhooks/{webhook_id}/rotate-secret",
  operationId: "rotateWebhookSecret",
  tags: ["Webhooks"],
  summary: "Issue a new signing secret",
  description:
    "The new secret is shown only here. For 24 hours every delivery carries two signatures (new and previous, space-separated in `webhook-signature`), then only the new one.",
  access: { caller: "operator_or_key", scope: "webhooks:write" },
  request: { params: WebhookParams },
  responses: { 200: json(WebhookWithSecretSchema, "The endpoint and its new secret.") },
});

export const registerWebhooksRotateSecret = (app: App) =>
  app.openapi(route, async (c) => {
    const hook = await visibleWebhook(c, c.req.valid("param").webhook_id);
    const secret = newWebhookSecret();
    const sealed = await sealSecret(pepperOf(c.env), hook.id, secret);
    const write = webhookWrites.rotateSecret(c.env.DB, auditContext(c), hook, sealed, nowIso(now() + PREVIOUS_SECRET_MS));
    const rotated = await commitMutation(c.env, write);
    // Null only when a racing DELETE took the row first: the secret was never stored.
    if (!rotated) throw notFound("webhook");
    return c.json({ webhook: serializeWebhook(rotated), secret }, 200, NO_STORE);
  });
