import { authenticatedRoute, type App } from "../hono";
import { listUsers } from "../db/users";
import { readPage } from "../lib/cursor";
import { json, pageOf, PageQuery } from "../schemas/common";
import { serializeUser, UserSchema } from "../schemas/user";
import { visiblePartner } from "./access";
import { PartnerParams } from "../schemas/params";

const route = authenticatedRoute({
  method: "get",
  path: "/v1/partners/{partner_id}/users",
  operationId: "listUsers",
  tags: ["Users"],
  summary: "List a partner's users, newest first",
  access: { caller: "operator_or_key", scope: "users:read" },
  errors: ["invalid_cursor"],
  request: { params: PartnerParams, query: PageQuery },
  responses: { 200: json(pageOf(UserSchema, "UserPage"), "A page of users.") },
});

export const registerUsersList = (app: App) =>
  app.openapi(route, async (c) => {
    const partner = await visiblePartner(c, c.req.valid("param").partner_id);
    const read = (beforeSeq: number, limit: number) => listUsers(c.env.DB, partner.id, beforeSeq, limit);
    return c.json(await readPage(c.req.valid("query"), read, (users) => users.map(serializeUser)), 200);
  });
