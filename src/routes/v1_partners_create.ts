import { authenticatedRoute, type App } from "../hono";
import { partnerWrites } from "../db/partners";
import { commitMutation } from "../events/commit";
import { newPartnerId } from "../lib/ids";
import { ApiError } from "../lib/problem";
import { json, jsonBody } from "../schemas/common";
import { PartnerCreateSchema, PartnerSchema, serializePartner } from "../schemas/partner";
import { auditContext } from "./access";
import { initialCredits } from "../db/budgets";
import { assertKnownTier } from "../config";

const route = authenticatedRoute({
  method: "post",
  path: "/v1/partners",
  operationId: "createPartner",
  tags: ["Partners"],
  summary: "Create a partner",
  access: { caller: "operator" },
  errors: ["slug_taken", "propagation_pending"],
  request: { body: jsonBody(PartnerCreateSchema) },
  responses: { 201: json(PartnerSchema, "The new partner.") },
});

export const registerPartnersCreate = (app: App) =>
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    assertKnownTier(c.env, body.rate_limit_tier);
    const id = newPartnerId();
    const write = partnerWrites.create(c.env.DB, auditContext(c), {
      id,
      slug: body.slug,
      name: body.name,
      contact_email: body.contact_email,
      website_url: body.website_url,
      rate_limit_tier: body.rate_limit_tier ?? "standard",
      scopes: body.scopes ?? [],
      resources: body.resources ?? [],
      allowed_origins: body.allowed_origins ?? [],
      leak_action: body.leak_action,
      rate_limit_scope: body.rate_limit_scope,
      credits_remaining: initialCredits(body.credits_remaining, body.credits_refill),
      credits_refill: body.credits_refill ?? null,
    });
    const created = await commitMutation(c.env, write, {
      conflict: () => new ApiError("slug_taken", `A partner with slug "${body.slug}" already exists.`),
    });
    return c.json(serializePartner(created), 201);
  });
