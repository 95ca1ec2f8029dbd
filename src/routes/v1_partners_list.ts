import { authenticatedRoute, type App } from "../hono";
import { listPartners } from "../db/partners";
import { decodeCursor, page } from "../lib/cursor";
import { json, pageOf, PageQuery } from "../schemas/common";
import { PartnerSchema, serializePartner } from "../schemas/partner";

const route = authenticatedRoute({
  method: "get",
  path: "/v1/partners",
  operationId: "listPartners",
  tags: ["Partners"],
  summary: "List partners, newest first",
  access: { caller: "operator" },
  errors: ["invalid_cursor"],
  request: { query: PageQuery },
  responses: { 200: json(pageOf(PartnerSchema, "PartnerPage"), "A page of partners.") },
});

export const registerPartnersList = (app: App) =>
  app.openapi(route, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const result = page(await listPartners(c.env.DB, decodeCursor(cursor), limit), limit);
    return c.json({ data: result.data.map(serializePartner), next_cursor: result.next_cursor }, 200);
  });
