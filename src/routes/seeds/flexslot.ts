import { z } from "@hono/zod-openapi";
import { authenticatedRoute, type App } from "../../hono";
import type { KeyAuthRecord } from "../../db/keys";
import { json } from "../../schemas/common";
import { PartnerSchema, PartnerStatus } from "../../schemas/partner";
import { callingKey } from "../access";

/** flexslot's self-serializer for /me/partner (seed 000): exactly its documented fields. */
export const FlexslotPartnerSchema = PartnerSchema.pick({ id: true, slug: true, name: true, contact_email: true, website_url: true })
  .extend({
    api_key_prefix: z.string(),
    scopes: z.array(z.string()),
    game_scopes: z.array(z.string()),
    allowed_origins: z.array(z.string()),
    rate_limit_tier: z.string(),
    status: PartnerStatus,
    secret_rotated_at: z.string().nullable(),
    last_used_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("FlexslotPartner");

export function serializeFlexslotPartner({ key, partner }: KeyAuthRecord): z.infer<typeof FlexslotPartnerSchema> {
  return {
    id: partner.id,
    slug: partner.slug,
    name: partner.name,
    contact_email: partner.contact_email,
    website_url: partner.website_url,
    api_key_prefix: key.prefix,
    scopes: partner.scopes,
    game_scopes: partner.resources,
    allowed_origins: partner.allowed_origins,
    rate_limit_tier: partner.rate_limit_tier,
    status: partner.status,
    secret_rotated_at: key.secret_rotated_at,
    last_used_at: key.last_used_at,
    created_at: partner.created_at,
    updated_at: partner.updated_at,
  };
}

const route = authenticatedRoute({
  method: "get",
  path: "/api/public/v1/me/partner",
  operationId: "getFlexslotPartner",
  tags: ["flexslot"],
  summary: "Read the calling user's partner row",
  description:
    "flexslot's shape. `api_key_prefix` is the calling key's prefix; `game_scopes` are the partner's resources; personal access tokens are `kw_pat_…`.",
  access: { caller: "key" },
  responses: { 200: json(FlexslotPartnerSchema, "Self-serializer for /me/partner.") },
});

export const registerFlexslot = (app: App) => app.openapi(route, (c) => c.json(serializeFlexslotPartner(callingKey(c)), 200));
