import { authenticatedRoute, type App } from "../hono";
import { listPartners } from "../db/partners";
import { readPage } from "../lib/cursor";
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
    const read = (beforeSeq: number, limit: number) => listPartners(c.env.DB, beforeSeq, limit);
    return c.json(await readPage(c.req.valid("query"), read, (partners) => partners.map(serializePartner)), 200);
  });
