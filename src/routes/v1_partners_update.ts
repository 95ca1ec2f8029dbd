import { authenticatedRoute, type App } from "../hono";
import { auditStatement } from "../db/audit";
import { list, setClause } from "../db/json";
import { partnerChanged } from "../cache/propagate";
import { toPartner } from "../db/partners";
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
    const patch: Record<string, string | null> = {};
    for (const field of ["name", "contact_email", "website_url", "status", "rate_limit_tier"] as const) {
      if (body[field] !== undefined) patch[field] = body[field];
    }
    for (const field of ["scopes", "resources", "allowed_origins"] as const) {
      if (body[field] !== undefined) patch[field] = list(body[field]);
    }
    if (Object.keys(patch).length === 0) return c.json(serializePartner(partner), 200);

    const audit = auditContext(c);
    const set = setClause({ ...patch, updated_at: audit.at }, 2);
    const db = c.env.DB;
    // RETURNING: the answer comes from the commit itself, so no read after it can fail.
    const [changed] = await db.batch([
      db.prepare(`UPDATE partners SET ${set.sql}, version = version + 1 WHERE id = ?1 RETURNING *`).bind(partner.id, ...set.binds),
      auditStatement(db, audit, partner.id, "partner.updated", partner.id),
    ]);
    const updated = toPartner(changed!.results[0] as Record<string, unknown>);
    await partnerChanged(c.env, updated, partner.allowed_origins);
    return c.json(serializePartner(updated), 200);
  });
