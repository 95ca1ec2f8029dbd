import { z } from "@hono/zod-openapi";
import { authenticatedRoute, type App } from "../hono";
import { listKeys, type ApiKeyRecord } from "../db/keys";
import { getUser, type User } from "../db/users";
import { readPage } from "../lib/cursor";
import { ApiKeySchema, ExpandedKeyFields, ExpandQuery, KeyStatusSchema, KeyTypeSchema, serializeKey } from "../schemas/api-key";
import { Cursor, json, Limit, pageOf } from "../schemas/common";
import { visiblePartner } from "./access";
import { PartnerParams } from "../schemas/params";

const route = authenticatedRoute({
  method: "get",
  path: "/v1/partners/{partner_id}/keys",
  operationId: "listKeys",
  tags: ["Keys"],
  summary: "List a partner's API keys, newest first",
  access: { caller: "operator_or_key", scope: "keys:read" },
  errors: ["invalid_cursor"],
  request: {
    params: PartnerParams,
    query: z.object({
      status: KeyStatusSchema.optional(),
      type: KeyTypeSchema.optional(),
      limit: Limit,
      cursor: Cursor,
      expand: ExpandQuery,
    }),
  },
  responses: { 200: json(pageOf(ApiKeySchema.extend(ExpandedKeyFields.shape), "ApiKeyPage"), "A page of keys.") },
});

export const registerKeysList = (app: App) =>
  app.openapi(route, async (c) => {
    const partner = await visiblePartner(c, c.req.valid("param").partner_id);
    const query = c.req.valid("query");
    const db = c.env.DB;
    const read = (beforeSeq: number, limit: number) => listKeys(db, partner.id, { status: query.status, type: query.type }, beforeSeq, limit);
    const serialize = async (keys: ApiKeyRecord[]) => {
      // Users are few per page; read each once to filter its keys' scopes.
      const users = new Map<string, User | null>();
      for (const id of new Set(keys.map((k) => k.user_id).filter((id): id is string => id !== null))) users.set(id, await getUser(db, id));
      return keys.map((k) => serializeKey(k, { user: k.user_id ? (users.get(k.user_id) ?? null) : null, expand: query.expand }));
    };
    return c.json(await readPage(query, read, serialize), 200);
  });
