import { authenticatedRoute, type App } from "../hono";
import { patchedCredits } from "../db/budgets";
import { partnerWrites } from "../db/partners";
import { commitMutation } from "../events/commit";
import { json, jsonBody } from "../schemas/common";
import { PartnerPatchSchema, PartnerSchema, serializePartner } from "../schemas/partner";
import { auditContext, visiblePartner } from "./access";
import { PartnerParams } from "../schemas/params";
import { assertKnownTier } from "../config";

const route = authenticatedRoute({
  method: "patch",
  path: "/v1/partners/{partner_id}",
  operationId: "updatePartner",
  tags: ["Partners"],
  summary: "Update a partner (including suspending or revoking it)",
  description: "Suspending or revoking a partner refuses all of its keys within 30 seconds.",
  access: { caller: "operator" },
  errors: ["propagation_pending"],
  request: { params: PartnerParams, body: jsonBody(PartnerPatchSchema) },
  responses: { 200: json(PartnerSchema, "The updated partner.") },
});

export const registerPartnersUpdate = (app: App) =>
  app.openapi(route, async (c) => {
    const partner = await visiblePartner(c, c.req.valid("param").partner_id);
    const body = c.req.valid("json");
    assertKnownTier(c.env, body.rate_limit_tier);
    // Every field of the body is a column; absent ones stay as they are.
    if (Object.values(body).every((v) => v === undefined)) return c.json(serializePartner(partner), 200);
    const credits_remaining = patchedCredits(partner.credits_remaining, body.credits_remaining, body.credits_refill);
    const patch = { ...body, ...(credits_remaining !== undefined && { credits_remaining }) };
    const updated = await commitMutation(c.env, partnerWrites.update(c.env.DB, auditContext(c), partner, patch));
    return c.json(serializePartner(updated), 200);
  });
