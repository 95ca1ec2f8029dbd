import { z } from "@hono/zod-openapi";
import type { Delivery } from "../db/deliveries";
import { WEBHOOK_EVENT_TYPES } from "../db/event-types";
import { WEBHOOK_STATUSES, type Webhook } from "../db/webhooks";
import { Text, Timestamp } from "./common";

export const WebhookEventType = z.enum(WEBHOOK_EVENT_TYPES);

export const WebhookSchema = z
  .object({
    id: z.string().openapi({ example: "whk_4Jd9kQ2mZx7LpW4aB3cD" }),
    partner_id: z.string().nullable().openapi({ description: "null for the operator's own endpoints (every partner's events)" }),
    url: z.string(),
    events: z.array(WebhookEventType),
    description: z.string().nullable(),
    status: z.enum(WEBHOOK_STATUSES),
    disabled_reason: z.string().nullable().openapi({ description: "Why Keyward disabled the endpoint (failing for too long), else null" }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Webhook");

export const serializeWebhook = (w: Webhook): z.infer<typeof WebhookSchema> => ({
  id: w.id,
  partner_id: w.partner_id,
  url: w.url,
  events: w.events as z.infer<typeof WebhookEventType>[],
  description: w.description,
  status: w.status,
  disabled_reason: w.disabled_reason,
  created_at: w.created_at,
  updated_at: w.updated_at,
});

/**
 * The target rules (DESIGN §8) as a pattern: https, the default port, a dotted host name whose last
 * label starts with a letter (so never an IP literal: the URL parser reads a numeric last label as
 * one) and that is not a local name, in any case. Stricter than the server in places, never looser. The server applies them to the parsed URL (and, with
 * WEBHOOK_ALLOW_LOCAL=on, also admits http, ports and loopback).
 */
const TARGET_PATTERN =
  "^https://(?![^/?]*\\.([Ll][Oo][Cc][Aa][Ll]|[Ii][Nn][Tt][Ee][Rr][Nn][Aa][Ll]|[Ll][Oo][Cc][Aa][Ll][Hh][Oo][Ss][Tt])\\.?([/?]|$))(?![Ll][Oo][Cc][Aa][Ll][Hh][Oo][Ss][Tt]\\.?([/?]|$))[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z][A-Za-z0-9-]*\\.?([/?][^#\\s]*)?$";

const WebhookUrl = z
  .url()
  .max(2048)
  .openapi({
    format: "uri",
    pattern: TARGET_PATTERN,
    description: "https, default port, a public host name (no IP address, no localhost, .local, .internal or .localhost name), no user info or fragment.",
    example: "https://hooks.partner.example/keyward",
  });

const Events = z
  .array(WebhookEventType)
  .min(1, "Name at least one event type")
  .max(WEBHOOK_EVENT_TYPES.length, `At most ${WEBHOOK_EVENT_TYPES.length} event types`)
  .transform((types) => [...new Set(types)])
  .openapi({ description: "The event types to deliver; repeats are ignored." });

export const WebhookCreateSchema = z
  .strictObject({ url: WebhookUrl, events: Events, description: Text(500).nullable().optional() })
  .openapi("WebhookCreate");

export const WebhookPatchSchema = z
  .strictObject({
    url: WebhookUrl.optional(),
    events: Events.optional(),
    description: Text(500).nullable().optional(),
    status: z.enum(WEBHOOK_STATUSES).optional().openapi({ description: "`enabled` also clears a failing endpoint's record." }),
  })
  .openapi("WebhookPatch");

export const WebhookWithSecretSchema = z
  .object({
    webhook: WebhookSchema,
    secret: z.string().openapi({ description: "`whsec_<base64>`: shown only here. Verify deliveries with it (Standard Webhooks)." }),
  })
  .openapi("WebhookWithSecret");

export const DeliverySchema = z
  .object({
    id: z.string(),
    event_id: z.string().openapi({ description: "Also the `webhook-id` header of every attempt of this event" }),
    type: WebhookEventType,
    attempt: z.number().int(),
    status: z.enum(["queued", "sending", "delivered", "failed"]),
    status_code: z.number().int().nullable(),
    ok: z.boolean(),
    error: z.string().nullable().openapi({ description: "timeout, network, redirect, target_refused, endpoint_disabled, endpoint_deleted, event_expired" }),
    response_excerpt: z.string().nullable().openapi({ description: "At most the first 256 characters of the answer" }),
    at: Timestamp.nullable().openapi({ description: "When the attempt ended (null while queued or sending)" }),
    scheduled_at: Timestamp,
    next_retry_at: Timestamp.nullable(),
  })
  .openapi("WebhookDelivery");

export const serializeDelivery = (d: Delivery): z.infer<typeof DeliverySchema> => ({
  id: d.id,
  event_id: d.event_id,
  type: d.type as z.infer<typeof WebhookEventType>,
  attempt: d.attempt,
  status: d.state,
  status_code: d.status_code,
  ok: d.ok === 1,
  error: d.error,
  response_excerpt: d.response_excerpt,
  at: d.at,
  scheduled_at: d.scheduled_at,
  next_retry_at: d.next_retry_at,
});

export const WebhookParams = z.object({ webhook_id: z.string().max(64).openapi({ pattern: "^whk_[0-9A-Za-z]{20}$" }) });
export const DeliveryParams = WebhookParams.extend({ delivery_id: z.string().max(64).openapi({ pattern: "^dlv_[0-9A-Za-z]{20}$" }) });
