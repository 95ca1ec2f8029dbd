import { z } from "@hono/zod-openapi";
import { PARTNER_STATUSES, type Partner } from "../db/partners";
import { LEAK_ACTIONS } from "../db/tables";
import { Credits, CreditsRefillInput, CreditsRefillSchema, RateLimitScope, serializeRefill } from "./credits";
import { Email, OriginList, ResourceList, ScopeList, Text, TierName, Timestamp } from "./common";

export const PartnerStatus = z.enum(PARTNER_STATUSES);
export const LeakAction = z.enum(LEAK_ACTIONS).openapi({
  description:
    "What a correctly signed leak report (`POST /v1/leaks`) does to the partner's leaked keys: `revoke` (default) or only `notify` " +
    "(`leaked_at` and a `key.leaked` event). Publishable keys are never revoked by a report.",
});

export const PartnerSchema = z
  .object({
    id: z.uuid(),
    slug: z.string(),
    name: z.string(),
    contact_email: z.string(),
    website_url: z.string(),
    status: PartnerStatus,
    rate_limit_tier: z.string(),
    rate_limit_scope: RateLimitScope,
    credits_remaining: z.number().int().nullable().openapi({ description: "Credits shared by all the partner's keys; null = unlimited." }),
    credits_refill: CreditsRefillSchema.nullable(),
    credits_refilled_at: Timestamp.nullable().openapi({ description: "When the refill last topped the balance up, or was set (which starts its schedule)." }),
    scopes: z.array(z.string()),
    resources: z.array(z.string()),
    allowed_origins: z.array(z.string()),
    leak_action: LeakAction,
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Partner");

const partnerFields = {
  slug: z.string().min(1).max(64).regex(/^[-a-zA-Z0-9_]+$/, "Slugs are letters, digits, _ and -"),
  name: Text(200, { min: 1, trim: true }),
  contact_email: Email,
  website_url: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .openapi({ pattern: "^[Hh][Tt][Tt][Pp][Ss]?://", example: "https://partner.example.com" }),
  rate_limit_tier: TierName,
  scopes: ScopeList,
  resources: ResourceList,
  allowed_origins: OriginList,
  rate_limit_scope: RateLimitScope,
  credits_remaining: Credits.nullable().openapi({ description: "Credits shared by all the partner's keys (DESIGN §10); null = unlimited." }),
  credits_refill: CreditsRefillInput.nullable(),
};

export const PartnerCreateSchema = z
  .strictObject({
    ...partnerFields,
    rate_limit_tier: TierName.optional(),
    scopes: ScopeList.optional(),
    resources: ResourceList.optional(),
    allowed_origins: OriginList.optional(),
    leak_action: LeakAction.optional(),
    rate_limit_scope: RateLimitScope.optional(),
    credits_remaining: partnerFields.credits_remaining.optional(),
    credits_refill: partnerFields.credits_refill.optional(),
  })
  .openapi("PartnerCreate");

export const PartnerPatchSchema = z
  .strictObject({
    name: partnerFields.name,
    contact_email: partnerFields.contact_email,
    website_url: partnerFields.website_url,
    status: PartnerStatus,
    rate_limit_tier: TierName,
    scopes: ScopeList,
    resources: ResourceList,
    allowed_origins: OriginList,
    leak_action: LeakAction,
    rate_limit_scope: partnerFields.rate_limit_scope,
    credits_remaining: partnerFields.credits_remaining,
    credits_refill: partnerFields.credits_refill,
  })
  .partial()
  .openapi("PartnerPatch");

export const serializePartner = (p: Partner): z.infer<typeof PartnerSchema> => ({
  id: p.id,
  slug: p.slug,
  name: p.name,
  contact_email: p.contact_email,
  website_url: p.website_url,
  status: p.status,
  rate_limit_tier: p.rate_limit_tier,
  rate_limit_scope: p.rate_limit_scope,
  credits_remaining: p.credits_remaining,
  credits_refill: serializeRefill(p.credits_refill),
  credits_refilled_at: p.credits_refilled_at,
  scopes: p.scopes,
  resources: p.resources,
  allowed_origins: p.allowed_origins,
  leak_action: p.leak_action,
  created_at: p.created_at,
  updated_at: p.updated_at,
});
