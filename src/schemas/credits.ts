import { z } from "@hono/zod-openapi";
import { RATE_LIMIT_SCOPES, REFILL_INTERVALS, type CreditsRefill } from "../db/budgets";
import { creditsRefillOf } from "../limiter/refill";

/** A credit balance the operator sets: null = unlimited. */
export const Credits = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const REFILL_DESCRIPTION =
  "Operator-only. Tops the balance up to `amount` (never lowers a higher one) at the first request after each UTC boundary: " +
  "`day` every midnight UTC, `month` on `day_of_month` (default 1; past a month's end, its last day) at 00:00 UTC. " +
  "Setting it starts its schedule (`credits_refilled_at` = now): the first top-up comes at the next boundary. Null: no refill.";

const refillShape = {
  amount: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  interval: z.enum(REFILL_INTERVALS),
  day_of_month: z.number().int().min(1).max(31).optional(),
};

/** `credits_refill` as served (DESIGN §10). */
export const CreditsRefillSchema = z.object(refillShape).openapi("CreditsRefill", { description: REFILL_DESCRIPTION });

/** `credits_refill` as taken on create and PATCH: `day_of_month` only with `month`. */
export const CreditsRefillInput = z
  .strictObject(refillShape)
  .refine((r) => r.interval === "month" || r.day_of_month === undefined, { message: "day_of_month goes only with interval month", path: ["day_of_month"] })
  .openapi("CreditsRefillInput", {
    description: REFILL_DESCRIPTION,
    // JSON Schema 2020-12 if/then (OpenAPI 3.1): day_of_month only with month.
    allOf: [{ if: { properties: { interval: { const: "day" } } }, then: { not: { required: ["day_of_month"] } } } as never],
  });

export const RateLimitScope = z.enum(RATE_LIMIT_SCOPES).openapi({
  description:
    "`key` (default): each key counts in its own windows. `partner`: all the partner's keys share the windows of the partner's tier; " +
    "a key's own tier still caps that key.",
});

/** The stored refill as served: a damaged value is served as none, as the limiter reads it. */
export const serializeRefill = (value: CreditsRefill | null): CreditsRefill | null => creditsRefillOf(value);
