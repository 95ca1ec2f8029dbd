/**
 * Rate-limit tiers as the operator configures them (RATE_LIMIT_TIERS, DESIGN §3 and §10), and the
 * rules a configured tier must follow. Pure: no I/O.
 *
 * A tier holds one or more named limits, all checked in one decision by the key's guard:
 *
 *   {"standard": {"limits": [{"name": "burst", "limit": 20, "window_seconds": 1},
 *                            {"name": "minute", "limit": 1000, "window_seconds": 60}]},
 *    "premium":  {"limit": 20000, "window_seconds": 60}}
 *
 * The single form `{limit, window_seconds}` is a tier of one limit named by the tier.
 */

export interface Limit {
  /** Names the limit in the RateLimit fields, verify's `ratelimits` and rate_limit.exceeded. */
  name: string;
  limit: number;
  window_seconds: number;
}

export interface Tier {
  /** In configuration order; never empty. */
  limits: readonly Limit[];
  /** The first limit's, for displays that show one limit per tier. */
  limit: number;
  window_seconds: number;
}

/** At most this many limits per tier: each is a member of two response headers and a window in the key's guard. */
export const MAX_LIMITS_PER_TIER = 8;
/** The longest window: 31 days, a month's quota. Longer ones are more likely a typo (ms for s) than a plan. */
export const MAX_WINDOW_SECONDS = 31 * 86_400;
/**
 * A name is sent as a structured-field String (RFC 9651), which holds printable ASCII only; a
 * name outside it could not be sent at all.
 */
const NAME = /^[\x20-\x7e]{1,64}$/;

const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) > 0;
const isWindow = (n: unknown): n is number => isCount(n) && n <= MAX_WINDOW_SECONDS;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function limitOf(value: unknown, name: unknown): Limit | null {
  if (!isObject(value) || typeof name !== "string" || !NAME.test(name)) return null;
  const { limit, window_seconds } = value;
  return isCount(limit) && isWindow(window_seconds) ? { name, limit, window_seconds } : null;
}

/**
 * One configured tier, or null when it breaks a rule: then it is dropped whole, never enforced in
 * part (a tier missing one of its limits would admit more than the operator meant). The rules:
 * limits are positive safe integers over windows of 1 s to MAX_WINDOW_SECONDS; a list holds 1 to
 * MAX_LIMITS_PER_TIER limits with distinct names; a tier uses one form, not both.
 */
export function tierOf(name: string, value: unknown): Tier | null {
  if (!isObject(value) || !NAME.test(name)) return null;
  let limits: Limit[];
  if (Object.hasOwn(value, "limits")) {
    const list = value.limits;
    if (Object.hasOwn(value, "limit") || Object.hasOwn(value, "window_seconds")) return null;
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_LIMITS_PER_TIER) return null;
    limits = [];
    for (const entry of list) {
      const limit = limitOf(entry, isObject(entry) ? entry.name : undefined);
      if (!limit || limits.some((l) => l.name === limit.name)) return null;
      limits.push(limit);
    }
  } else {
    const limit = limitOf(value, name);
    if (!limit) return null;
    limits = [limit];
  }
  return { limits, limit: limits[0]!.limit, window_seconds: limits[0]!.window_seconds };
}

/**
 * Parses RATE_LIMIT_TIERS: the valid tiers, in a prototype-less record (a tier is only ever an
 * entry the operator configured, never `__proto__` or `toString`), and the names of those dropped.
 * A value that is not a JSON object yields no tiers.
 */
export function parseTiers(raw: string): { tiers: Record<string, Tier>; dropped: string[] } {
  const tiers = Object.create(null) as Record<string, Tier>;
  const dropped: string[] = [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { tiers, dropped };
  }
  if (!isObject(parsed)) return { tiers, dropped };
  for (const [name, value] of Object.entries(parsed)) {
    const tier = tierOf(name, value);
    if (tier) Object.defineProperty(tiers, name, { value: tier, enumerable: true });
    else dropped.push(name);
  }
  return { tiers, dropped };
}
