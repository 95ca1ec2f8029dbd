import { UserParams } from "../schemas/params";
import { authenticatedRoute, type App } from "../hono";
import { json } from "../schemas/common";
import { serializeUser, UserSchema } from "../schemas/user";
import { visibleUser } from "./access";

const route = authenticatedRoute({
  method: "get",
  path: "/v1/users/{user_id}",
  operationId: "getUser",
  tags: ["Users"],
  summary: "Read a user",
  access: { caller: "operator_or_key", scope: "users:read" },
  request: { params: UserParams },
  responses: { 200: json(UserSchema, "The user.") },
});

export const registerUsersGet = (app: App) =>
  app.openapi(route, async (c) => {
    return c.json(serializeUser(await visibleUser(c, c.req.valid("param").user_id)), 200);
  });
