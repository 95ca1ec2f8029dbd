import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../app";
import { authenticate, requireScope } from "../auth/authenticate";
import { errorResponses, json, UserId } from "../schemas/common";
import { serializeUser, UserSchema } from "../schemas/user";
import { visibleUser } from "./access";
import { operatorOrKey } from "./security";

const route = createRoute({
  method: "get",
  path: "/v1/users/{user_id}",
  operationId: "getUser",
  tags: ["Users"],
  summary: "Read a user",
  security: operatorOrKey,
  middleware: [authenticate()] as const,
  request: { params: z.object({ user_id: UserId }) },
  responses: { 200: json(UserSchema, "The user."), ...errorResponses },
});

export const registerUsersGet = (app: App) =>
  app.openapi(route, async (c) => {
    requireScope(c.get("principal"), "users:read");
    return c.json(serializeUser(await visibleUser(c, c.req.valid("param").user_id)), 200);
  });
