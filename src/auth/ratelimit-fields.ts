import { serializeList } from "structured-headers";
import { resolvedTier } from "../config";
import type { KeyAuthRecord } from "../db/keys";
import type { Bindings } from "../env";
import type { RateLimitState } from "../limiter/policy";

/**
 * The rate-limit header fields for one key-authenticated response (DESIGN §3b): the IETF
 * structured fields of draft-ietf-httpapi-ratelimit-headers, one list member per limit, named by
 * the tier, and the legacy `RateLimit-Limit/-Remaining/-Reset`. Serialized by `structured-headers`
 * so quoting and parameters follow RFC 9651 exactly. `t` and Reset never exceed the window.
 */
export function rateLimitFields(env: Pick<Bindings, "RATE_LIMIT_TIERS">, record: KeyAuthRecord, ratelimit: RateLimitState): Record<string, string> {
  const tier = resolvedTier(env, record.key.rate_limit_tier ?? record.partner.rate_limit_tier);
  // `reset` is capped at the window where it is computed (SlidingWindow.resetSeconds, knownLimited).
  const { reset } = ratelimit;
  return {
    "RateLimit-Policy": serializeList([[tier.name, new Map([["q", ratelimit.limit], ["w", tier.window_seconds]])]]),
    RateLimit: serializeList([[tier.name, new Map([["r", ratelimit.remaining], ["t", reset]])]]),
    "RateLimit-Limit": String(ratelimit.limit),
    "RateLimit-Remaining": String(ratelimit.remaining),
    "RateLimit-Reset": String(reset),
  };
}
