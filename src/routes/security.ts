import { isTier, rateLimitTiers } from "../config";
import type { Bindings } from "../env";
import { ApiError } from "../lib/problem";

type SecurityRequirement = Record<string, string[]>;

/** OpenAPI security requirements, by who may call. */
export const operatorOnly: SecurityRequirement[] = [{ operator: [] }];
export const operatorOrKey: SecurityRequirement[] = [{ operator: [] }, { apiKey: [] }, { apiKeyHeader: [] }];
export const keyOnly: SecurityRequirement[] = [{ apiKey: [] }, { apiKeyHeader: [] }];

export function assertKnownTier(env: Bindings, tier: string | null | undefined): void {
  if (tier == null || isTier(env, tier)) return;
  throw new ApiError(400, "validation_error", "Unknown rate_limit_tier.", {
    errors: [{ path: "rate_limit_tier", message: `Must be one of: ${Object.keys(rateLimitTiers(env)).join(", ")}` }],
  });
}

/** D1 reports a violated UNIQUE constraint only through its message. */
export const isUniqueViolation = (err: unknown) => err instanceof Error && /UNIQUE constraint failed/i.test(err.message);
