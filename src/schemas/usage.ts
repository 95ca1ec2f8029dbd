import { z } from "@hono/zod-openapi";
import { GRANULARITIES, MAX_BUCKETS, OUTCOMES, resolveRange, type UsageRange } from "../usage/buckets";
import { validationError } from "../lib/problem";

export const UsageQuery = z.object({
  granularity: z.enum(GRANULARITIES).default("hour").openapi({
    description: `Bucket size. At most ${MAX_BUCKETS.minute} minute, ${MAX_BUCKETS.hour} hour or ${MAX_BUCKETS.day} day buckets per request.`,
  }),
  from: z.iso.datetime({ offset: true }).optional().openapi({
    description: "Start of the range (ISO 8601), rounded down to its bucket. Default: 24 hours before `to`.",
    example: "2026-11-26T00:00:00Z",
  }),
  to: z.iso.datetime({ offset: true }).optional().openapi({
    description: "End of the range (exclusive). Default: the end of the current bucket, so the open bucket is included.",
    example: "2026-11-27T00:00:00Z",
  }),
});

const Bucket = z
  .object({
    start: z.iso.datetime().openapi({ description: "The bucket's start (UTC)." }),
    ...Object.fromEntries(OUTCOMES.map((o) => [o, z.number().int().min(0)])),
    credits_refilled: z.number().int().min(0).openapi({
      description:
        "Credits that refills (`credits_refill`) added to the balance in the bucket: a key's own, and for a partner its keys' plus its shared balance's.",
    }),
  })
  .openapi("UsageBucket", {
    description:
      "Requests in the bucket: `admitted`, `rate_limited` (429), `credits_exhausted` (402) and `refused` (an identified key refused by its origin, IP or agent allowlist or for a missing scope); and `credits_refilled`.",
  });

const series = { granularity: z.enum(GRANULARITIES), data: z.array(Bucket).openapi({ description: "Every bucket of the range, oldest first, zeros included." }) };
export const KeyUsageSchema = z.object({ key_id: z.string(), ...series }).openapi("KeyUsage");
export const PartnerUsageSchema = z.object({ partner_id: z.string(), ...series }).openapi("PartnerUsage");

/** The query's range, or 400 `validation_error` naming `from` or `to`. */
export function rangeOf(query: z.infer<typeof UsageQuery>, now: number): UsageRange {
  const range = resolveRange(
    { granularity: query.granularity, from: query.from ? Date.parse(query.from) : undefined, to: query.to ? Date.parse(query.to) : undefined },
    now,
  );
  if ("error" in range) throw validationError([{ path: range.path, message: range.error }], "The usage range is not valid.");
  return range;
}
