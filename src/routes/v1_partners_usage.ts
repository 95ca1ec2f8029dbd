import { authenticatedRoute, type App } from "../hono";
import { now } from "../lib/clock";
import { json } from "../schemas/common";
import { PartnerParams } from "../schemas/params";
import { PartnerUsageSchema, rangeOf, UsageQuery } from "../schemas/usage";
import { partnerUsage } from "../usage/read";
import { visiblePartner } from "./access";

const route = authenticatedRoute({
  method: "get",
  path: "/v1/partners/{partner_id}/usage",
  operationId: "getPartnerUsage",
  tags: ["Usage"],
  summary: "A partner's usage over time, all its keys together",
  description:
    "Requests per bucket summed over the partner's keys, from D1: it lags the keys' own usage by up to one flush (60 s). Default: the last 24 hours by hour. `from` must be before `to`, and a range holds at most 1,440 minute, 2,160 hour or 730 day buckets (else 400 `validation_error` naming `from` or `to`).",
  access: { caller: "operator_or_key", scope: "keys:read" },
  request: { params: PartnerParams, query: UsageQuery },
  responses: { 200: json(PartnerUsageSchema, "The partner's usage, oldest bucket first.") },
});

export const registerPartnersUsage = (app: App) =>
  app.openapi(route, async (c) => {
    const partner = await visiblePartner(c, c.req.valid("param").partner_id);
    const range = rangeOf(c.req.valid("query"), now());
    return c.json({ partner_id: partner.id, granularity: range.granularity, data: await partnerUsage(c.env, partner.id, range) }, 200);
  });
