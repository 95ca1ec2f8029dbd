import { createRoute } from "@hono/zod-openapi";
import type { App } from "../app";
import { authenticate, requireScope } from "../auth/authenticate";
import { listUsers } from "../db/users";
import { decodeCursor, page } from "../lib/cursor";
import { errorResponses, json, pageOf, PageQuery } from "../schemas/common";
import { serializeUser, UserSchema } from "../schemas/user";
import { visiblePartner } from "./access";
import { PartnerParams } from "./v1_partners_get";
import { operatorOrKey } from "./security";

const route = createRoute({
  method: "get",
  path: "/v1/partners/{partner_id}/users",
  operationId: "listUsers",
  tags: ["Users"],
  summary: "List a partner's users, newest first",
  security: operatorOrKey,
  middleware: [authenticate()] as const,
  request: { params: PartnerParams, query: PageQuery },
  responses: { 200: json(pageOf(UserSchema, "UserPage"), "A page of users."), ...errorResponses },
});

export const registerUsersList = (app: App) =>
  app.openapi(route, async (c) => {
    requireScope(c.get("principal"), "users:read");
    const partner = await visiblePartner(c, c.req.valid("param").partner_id);
    const { limit, cursor } = c.req.valid("query");
    const result = page(await listUsers(c.env.DB, partner.id, decodeCursor(cursor), limit), limit);
    return c.json({ data: result.data.map(serializeUser), next_cursor: result.next_cursor }, 200);
  });
