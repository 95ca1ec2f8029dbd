import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { authenticatedRoute, type App } from "../../hono";
import { getKey, listKeys, type ApiKeyRecord } from "../../db/keys";
import type { AppEnv } from "../../env";
import { isKeyId } from "../../keys/format";
import { ApiError } from "../../lib/problem";
import { errorEnvelope } from "../../middleware/error-envelope";
import { json } from "../../schemas/common";
import { callingKey } from "../access";

/** FlexFactor's bodies (seeds 003, 004), word for word where documented. */
const AUTH_FAILED = "Authentication failed. Invalid bearer token.";
const NOT_FOUND = "API key not found.";
const INTERNAL = "An unexpected error occurred. Please try again later.";

const Errors = z.object({ errors: z.array(z.string()) }).openapi("FlexFactorErrors");

export const FlexFactorKeyListSchema = z
  .object({
    keys: z.array(
      z.object({
        name: z.string(),
        type: z.string(),
        created_at: z.string(),
        last_used: z.string().nullable(),
        last_four: z.string(),
      }),
    ),
  })
  .openapi("FlexFactorKeyList");

export const FlexFactorKeySchema = z
  .object({
    status: z.enum(["SUCCESS", "FAILED"]),
    success: z.boolean(),
    id: z.string().nullable(),
    name: z.string().nullable(),
    type: z.string().nullable(),
    scopes: z.array(z.string()).nullable(),
    createdOn: z.string().nullable(),
    lastUsed: z.string().nullable(),
    lastFour: z.string().nullable(),
    errors: z.array(z.string()),
  })
  .openapi("FlexFactorKey");

export const serializeFlexFactorKey = (k: ApiKeyRecord): z.infer<typeof FlexFactorKeySchema> => ({
  status: "SUCCESS",
  success: true,
  id: k.id,
  name: k.name,
  type: k.type,
  scopes: k.scopes,
  createdOn: k.created_at,
  lastUsed: k.last_used_at,
  lastFour: k.last_four,
  errors: [],
});

const failedRetrieval = (errors: string[]): z.infer<typeof FlexFactorKeySchema> => ({
  status: "FAILED",
  success: false,
  id: null,
  name: null,
  type: null,
  scopes: null,
  createdOn: null,
  lastUsed: null,
  lastFour: null,
  errors,
});

function flexFactorError(c: Context<AppEnv>, error: ApiError): Response {
  if (error.status === 401) return c.json({ errors: [AUTH_FAILED] }, 401);
  if (error.status === 404) return c.json({ errors: [NOT_FOUND] }, 404);
  if (error.status >= 500) return c.json({ errors: [INTERNAL] }, error.status);
  return c.json({ errors: [error.detail] }, error.status);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_LISTED = 1000;

const route = authenticatedRoute({
  method: "get",
  path: "/v1/api-keys/{id}",
  operationId: "getFlexFactorApiKey",
  tags: ["FlexFactor"],
  summary: "List an account's API keys ({mid}) or get one API key ({id})",
  description:
    "FlexFactor's shapes. With an account id (`mid`, the partner id) it lists that account's live keys; with a key id it returns " +
    "that key. Authenticate with a token from /oauth2/token (or the key itself). Publishable keys cannot read key metadata.",
  access: { caller: "key" },
  before: [errorEnvelope(flexFactorError)],
  ownErrorShapes: true,
  request: {
    params: z.object({
      id: z.string().max(64).openapi({
        description: "A key id, or the account id (mid: the partner id). Anything else is 400 with the documented FAILED body.",
        pattern: "^(key_[0-9A-Za-z]{16}|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})$",
      }),
    }),
  },
  responses: {
    200: {
      description: "The account's keys, or one key.",
      content: { "application/json": { schema: z.union([FlexFactorKeyListSchema, FlexFactorKeySchema]) } },
    },
    400: json(FlexFactorKeySchema, "Invalid API key ID."),
    401: json(Errors, "Authentication failed. Invalid bearer token."),
    403: json(Errors, "This credential may not read key metadata."),
    404: json(Errors, "API key not found."),
    500: json(Errors, "An unexpected error occurred. Please try again later."),
  },
});

export const registerFlexFactor = (app: App) =>
  app.openapi(route, async (c) => {
    const { key: caller, partner } = callingKey(c);
    if (caller.type === "publishable") throw new ApiError("insufficient_scope", "Publishable keys cannot read key metadata.");
    const { id } = c.req.valid("param");
    const db = c.env.DB;

    if (isKeyId(id)) {
      const key = await getKey(db, id);
      if (!key || key.partner_id !== partner.id) throw new ApiError("not_found", NOT_FOUND);
      return c.json(serializeFlexFactorKey(key), 200);
    }
    if (!UUID.test(id)) return c.json(failedRetrieval([NOT_FOUND, "Invalid API key ID."]), 400);
    if (id.toLowerCase() !== partner.id) throw new ApiError("not_found", NOT_FOUND);

    const live = await listKeys(db, partner.id, { status: "active" }, Number.MAX_SAFE_INTEGER, MAX_LISTED);
    return c.json(
      { keys: live.map((k) => ({ name: k.name, type: k.type, created_at: k.created_at, last_used: k.last_used_at, last_four: k.last_four })) },
      200,
    );
  });
