import { serializeList } from "structured-headers";
import type { RateLimitState } from "../limiter/policy";

/**
 * The rate-limit header fields for one key-authenticated response (DESIGN §3b, §10): the IETF
 * structured fields of draft-ietf-httpapi-ratelimit-headers, one list member per limit of the
 * key's tier, named by the limit (by the tier for a tier of one limit), and the legacy
 * `RateLimit-Limit/-Remaining/-Reset` showing the most restrictive limit (fewest remaining, then
 * longest reset: src/limiter/multi-window.ts). Serialized by `structured-headers` so quoting and
 * parameters follow RFC 9651 exactly. `t` and Reset never exceed their window: the limiter caps
 * each reset where it computes it (SlidingWindow.resetSeconds, knownLimited).
 */
export function rateLimitFields(ratelimit: RateLimitState): Record<string, string> {
  return {
    "RateLimit-Policy": serializeList(ratelimit.limits.map((l) => [l.name, new Map([["q", l.limit], ["w", l.window_seconds]])])),
    RateLimit: serializeList(ratelimit.limits.map((l) => [l.name, new Map([["r", l.remaining], ["t", l.reset]])])),
    "RateLimit-Limit": String(ratelimit.limit),
    "RateLimit-Remaining": String(ratelimit.remaining),
    "RateLimit-Reset": String(ratelimit.reset),
  };
}
