import { authenticatedRoute, type App } from "../hono";
import { assertNoEscalation } from "../auth/key-rules";
import { auditStatement } from "../db/audit";
import { list } from "../db/json";
import { toUser, userSql, type User } from "../db/users";
import { newUserId } from "../lib/ids";
import { ApiError } from "../lib/problem";
import { json, jsonBody } from "../schemas/common";
import { serializeUser, UserCreateSchema, UserSchema } from "../schemas/user";
import { auditContext, visiblePartner } from "./access";
import { PartnerParams } from "../schemas/params";
import { isUniqueViolation } from "../db/errors";

const route = authenticatedRoute({
  method: "post",
  path: "/v1/partners/{partner_id}/users",
  operationId: "createUser",
  tags: ["Users"],
  summary: "Create a user (a person or a bot) of a partner",
  access: { caller: "operator_or_key", scope: "users:write" },
  errors: ["scope_escalation", "email_taken"],
  request: { params: PartnerParams, body: jsonBody(UserCreateSchema) },
  responses: { 201: json(UserSchema, "The new user.") },
});

export const registerUsersCreate = (app: App) =>
  app.openapi(route, async (c) => {
    const partner = await visiblePartner(c, c.req.valid("param").partner_id);
    const body = c.req.valid("json");
    // A user's permissions cap the keys bound to it; a key grants no more than it holds.
    assertNoEscalation(c.get("principal"), body.permissions);
    const audit = auditContext(c);
    const id = newUserId();
    const db = c.env.DB;
    let created: User;
    try {
      // RETURNING: the answer comes from the commit itself, so no read after it can fail.
      const [inserted] = await db.batch([
        db
          .prepare(userSql.insert)
          .bind(id, partner.id, body.first_name, body.last_name, body.email, body.role, body.kind, list(body.permissions), audit.at),
        auditStatement(db, audit, partner.id, "user.created", id),
      ]);
      created = toUser(inserted!.results[0] as Record<string, unknown>);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ApiError("email_taken", "This partner already has a user with that email.");
      throw err;
    }
    return c.json(serializeUser(created), 201);
  });
