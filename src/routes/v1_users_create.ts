import { authenticatedRoute, type App } from "../hono";
import { assertNoEscalation } from "../auth/key-rules";
import { userWrites } from "../db/users";
import { commitMutation } from "../events/commit";
import { newUserId } from "../lib/ids";
import { ApiError } from "../lib/problem";
import { json, jsonBody } from "../schemas/common";
import { serializeUser, UserCreateSchema, UserSchema } from "../schemas/user";
import { auditContext, visiblePartner } from "./access";
import { PartnerParams } from "../schemas/params";

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
    const write = userWrites.create(c.env.DB, auditContext(c), {
      id: newUserId(),
      partner_id: partner.id,
      first_name: body.first_name,
      last_name: body.last_name,
      email: body.email,
      role: body.role,
      kind: body.kind,
      permissions: body.permissions,
    });
    const created = await commitMutation(c.env, write, {
      conflict: () => new ApiError("email_taken", "This partner already has a user with that email."),
    });
    return c.json(serializeUser(created), 201);
  });
