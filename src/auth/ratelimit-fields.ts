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
    "RateLimit-Policy": policyField(ratelimit.limits),
    RateLimit: ratelimitField(ratelimit.limits),
    "RateLimit-Limit": String(ratelimit.limit),
    "RateLimit-Remaining": String(ratelimit.remaining),
    "RateLimit-Reset": String(ratelimit.reset),
  };
}

type Limits = RateLimitState["limits"];

// Every key-authenticated response carries these fields, and building them with the library's
// objects was a twentieth of a warm request's CPU. The policy is the tier's, so it is kept per
// tier; in RateLimit only the two integers change, so each member is the library's serialization
// of its name followed by `;r=<n>;t=<n>` — what RFC 9651 makes of two non-negative integers
// (test/auth/ratelimit-fields.test.ts checks it equals the library's output for any input).
const policies = new Map<string, string>();
const names = new Map<string, string>();
const MAX_SF_INTEGER = 999_999_999_999_999;
const sfInteger = (n: number) => Number.isInteger(n) && Math.abs(n) <= MAX_SF_INTEGER;

function policyField(limits: Limits): string {
  const id = limits.map((l) => `${l.name}\u0000${l.limit}\u0000${l.window_seconds}`).join("\u0001");
  let field = policies.get(id);
  if (field === undefined) {
    field = serializeList(limits.map((l) => [l.name, new Map([["q", l.limit], ["w", l.window_seconds]])]));
    // Tiers are few and fixed by configuration; the bound only guards against surprises.
    if (policies.size >= 1_000) policies.clear();
    policies.set(id, field);
  }
  return field;
}

function ratelimitField(limits: Limits): string {
  if (!limits.every((l) => sfInteger(l.remaining) && sfInteger(l.reset))) {
    return serializeList(limits.map((l) => [l.name, new Map([["r", l.remaining], ["t", l.reset]])]));
  }
  return limits.map((l) => `${nameItem(l.name)};r=${l.remaining};t=${l.reset}`).join(", ");
}

function nameItem(name: string): string {
  let item = names.get(name);
  if (item === undefined) {
    item = serializeList([[name, new Map()]]);
    if (names.size >= 1_000) names.clear();
    names.set(name, item);
  }
  return item;
}
