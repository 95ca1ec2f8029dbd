import { authenticatedRoute, type App } from "../hono";
import { missingScopes } from "../auth/scopes";
import { userWrites } from "../db/users";
import { commitMutation } from "../events/commit";
import { ApiError } from "../lib/problem";
import type { Principal } from "../auth/principal";
import type { User } from "../db/users";
import { json, jsonBody } from "../schemas/common";
import { serializeUser, UserPatchSchema, UserSchema } from "../schemas/user";
import { auditContext, visibleUser } from "./access";
import { UserParams } from "../schemas/params";

const route = authenticatedRoute({
  method: "patch",
  path: "/v1/users/{user_id}",
  operationId: "updateUser",
  tags: ["Users"],
  summary: "Update a user's permissions, role or status",
  description:
    "Changes take effect on the next request of every key bound to the user: new permissions reshape the keys' effective " +
    "scopes, and a `deactivated` user's keys (and access tokens minted from them) are refused with 401 `invalid_api_key` " +
    "until the user is `active` again. A key may change only users whose permissions, before and after, are within its own scopes.",
  access: { caller: "operator_or_key", scope: "users:write" },
  errors: ["scope_escalation", "propagation_pending"],
  request: { params: UserParams, body: jsonBody(UserPatchSchema) },
  responses: { 200: json(UserSchema, "The updated user.") },
});

/**
 * A key changes a user only if it could have created that user as it stands and as it would stand
 * afterwards (DESIGN §3a: a key never hands out more than it holds): deactivating or reactivating
 * a user whose permissions exceed the key's would act on authority the key lacks (and reactivation
 * would hand it back), so both are 403 `scope_escalation`, like revoking a broader key.
 */
function assertMayChangeUser(principal: Principal, user: User, permissions: readonly string[] | undefined) {
  if (principal.kind === "operator") return;
  const errors: { path: string; message: string }[] = [];
  const held = missingScopes(user.permissions, principal.scopes);
  if (held.length > 0) errors.push({ path: "permissions", message: `The user holds permissions this key lacks: ${held.join(", ")}` });
  const granted = permissions ? missingScopes(permissions, principal.scopes) : [];
  if (granted.length > 0) errors.push({ path: "permissions", message: `A key cannot grant permissions it does not hold: ${granted.join(", ")}` });
  if (errors.length > 0) throw new ApiError("scope_escalation", "A key cannot change a user beyond its own scopes.", { errors });
}

export const registerUsersUpdate = (app: App) =>
  app.openapi(route, async (c) => {
    const user = await visibleUser(c, c.req.valid("param").user_id);
    const body = c.req.valid("json");
    assertMayChangeUser(c.get("principal"), user, body.permissions);
    // Every field of the body is a column; absent ones stay as they are.
    if (Object.values(body).every((v) => v === undefined)) return c.json(serializeUser(user), 200);
    const updated = await commitMutation(c.env, userWrites.update(c.env.DB, auditContext(c), user, body));
    return c.json(serializeUser(updated), 200);
  });
