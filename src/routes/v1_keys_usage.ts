import { authenticatedRoute, type App } from "../hono";
import { now } from "../lib/clock";
import { json } from "../schemas/common";
import { KeyParams } from "../schemas/params";
import { KeyUsageSchema, rangeOf, UsageQuery } from "../schemas/usage";
import { keyUsage } from "../usage/read";
import { visibleKey } from "./access";

const route = authenticatedRoute({
  method: "get",
  path: "/v1/keys/{key_id}/usage",
  operationId: "getKeyUsage",
  tags: ["Usage"],
  summary: "A key's usage over time",
  description:
    "Requests per bucket, exact and current: stored buckets from D1 plus what the key's Durable Object has counted since its last flush (the open bucket included). Default: the last 24 hours by hour. `from` must be before `to`, and a range holds at most 1,440 minute, 2,160 hour or 730 day buckets (else 400 `validation_error` naming `from` or `to`).",
  access: { caller: "operator_or_key", scope: "keys:read" },
  request: { params: KeyParams, query: UsageQuery },
  responses: { 200: json(KeyUsageSchema, "The key's usage, oldest bucket first.") },
});

export const registerKeysUsage = (app: App) =>
  app.openapi(route, async (c) => {
    const { key } = await visibleKey(c, c.req.valid("param").key_id);
    const range = rangeOf(c.req.valid("query"), now());
    return c.json({ key_id: key.id, granularity: range.granularity, data: await keyUsage(c.env, key.id, key.partner_id, range) }, 200);
  });
