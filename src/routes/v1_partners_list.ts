import { createRoute } from "@hono/zod-openapi";
import type { App } from "../app";
import { authenticate } from "../auth/authenticate";
import { listPartners } from "../db/partners";
import { decodeCursor, page } from "../lib/cursor";
import { errorResponses, json, pageOf, PageQuery } from "../schemas/common";
import { PartnerSchema, serializePartner } from "../schemas/partner";
import { operatorOnly } from "./security";

const route = createRoute({
  method: "get",
  path: "/v1/partners",
  operationId: "listPartners",
  tags: ["Partners"],
  summary: "List partners, newest first",
  security: operatorOnly,
  middleware: [authenticate({ accept: "operator" })] as const,
  request: { query: PageQuery },
  responses: { 200: json(pageOf(PartnerSchema, "PartnerPage"), "A page of partners."), ...errorResponses },
});

export const registerPartnersList = (app: App) =>
  app.openapi(route, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const result = page(await listPartners(c.env.DB, decodeCursor(cursor), limit), limit);
    return c.json({ data: result.data.map(serializePartner), next_cursor: result.next_cursor }, 200);
  });
