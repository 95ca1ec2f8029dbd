import { authenticatedRoute, type App } from "../hono";
import { syncOrigins } from "../cache/origin-registry";
import { afterCommit } from "../cache/propagate";
import { auditStatement } from "../db/audit";
import { list } from "../db/json";
import { partnerSql, toPartner, type Partner } from "../db/partners";
import { newPartnerId } from "../lib/ids";
import { ApiError } from "../lib/problem";
import { json, jsonBody } from "../schemas/common";
import { PartnerCreateSchema, PartnerSchema, serializePartner } from "../schemas/partner";
import { auditContext } from "./access";
import { assertKnownTier } from "../config";
import { isUniqueViolation } from "../db/errors";

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
    const audit = auditContext(c);
    const id = newPartnerId();
    const db = c.env.DB;
    let created: Partner;
    try {
      // RETURNING: the answer comes from the commit itself, so no read after it can fail.
      const [inserted] = await db.batch([
        db
          .prepare(partnerSql.insert)
          .bind(
            id,
            body.slug,
            body.name,
            body.contact_email,
            body.website_url,
            body.rate_limit_tier ?? "standard",
            list(body.scopes ?? []),
            list(body.resources ?? []),
            list(body.allowed_origins ?? []),
            audit.at,
          ),
        auditStatement(db, audit, id, "partner.created", id),
      ]);
      created = toPartner(inserted!.results[0] as Record<string, unknown>);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ApiError("slug_taken", `A partner with slug "${body.slug}" already exists.`);
      throw err;
    }
    // Repeating a create would be 409, so the answer names the request that finishes the work.
    await afterCommit(
      () => syncOrigins(c.env, created.allowed_origins),
      `The partner was saved (id ${created.id}) but its origins are not yet registered for CORS. ` +
        "Repeat with PATCH /v1/partners/{partner_id} and the same allowed_origins to finish.",
    );
    return c.json(serializePartner(created), 201);
  });
