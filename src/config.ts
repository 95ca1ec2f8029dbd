import type { Bindings } from "./env";
import { validationError } from "./lib/problem";

export interface Tier {
  limit: number;
  window_seconds: number;
}

export const DEFAULT_TIERS: Record<string, Tier> = Object.assign(Object.create(null) as Record<string, Tier>, {
  standard: { limit: 1000, window_seconds: 60 },
  premium: { limit: 20000, window_seconds: 60 },
});

/** Whether `name` is a configured tier: own entries only. */
export const isTier = (env: Pick<Bindings, "RATE_LIMIT_TIERS">, name: string): boolean => Object.hasOwn(rateLimitTiers(env), name);

const parsedTiers = new Map<string, Record<string, Tier>>();

/**
 * Tiers from the RATE_LIMIT_TIERS var (a JSON string so `--var` can set it). A malformed value
 * falls back to the defaults rather than taking the API down; entries that are not positive
 * integers are dropped.
 */
export function rateLimitTiers(env: Pick<Bindings, "RATE_LIMIT_TIERS">): Record<string, Tier> {
  const raw = env.RATE_LIMIT_TIERS ?? "";
  let tiers = parsedTiers.get(raw);
  if (tiers) return tiers;
  // No prototype: a tier is only ever an entry the operator configured, never `__proto__` or `toString`.
  tiers = Object.create(null) as Record<string, Tier>;
  try {
    for (const [name, t] of Object.entries(JSON.parse(raw) as Record<string, Tier>)) {
      if (Number.isSafeInteger(t?.limit) && t.limit > 0 && Number.isSafeInteger(t?.window_seconds) && t.window_seconds > 0) {
        Object.defineProperty(tiers, name, { value: { limit: t.limit, window_seconds: t.window_seconds }, enumerable: true });
      }
    }
  } catch {
    tiers = Object.create(null) as Record<string, Tier>;
  }
  if (Object.keys(tiers).length === 0) tiers = DEFAULT_TIERS;
  parsedTiers.set(raw, tiers);
  return tiers;
}

/**
 * The tier a key is counted under. A name no longer configured (a tier removed from
 * RATE_LIMIT_TIERS after keys were given it) falls back to `standard`, else the first tier, so
 * such keys keep a real limit rather than none.
 */
export function tierNamed(env: Pick<Bindings, "RATE_LIMIT_TIERS">, name: string): Tier {
  const { limit, window_seconds } = resolvedTier(env, name);
  return { limit, window_seconds };
}

/** The tier a key is counted under, with the name it is counted under (the fallback's, for an unknown one). */
export function resolvedTier(env: Pick<Bindings, "RATE_LIMIT_TIERS">, name: string): Tier & { name: string } {
  const tiers = rateLimitTiers(env);
  if (Object.hasOwn(tiers, name)) return { name, ...tiers[name]! };
  const fallback = Object.hasOwn(tiers, "standard") ? "standard" : Object.keys(tiers)[0]!;
  return { name: fallback, ...tiers[fallback]! };
}

export const keyPrefix = (env: Pick<Bindings, "KEY_PREFIX">) => env.KEY_PREFIX || "kw";

/** 400 for a tier this deployment does not configure. */
export function assertKnownTier(env: Bindings, tier: string | null | undefined): void {
  if (tier == null || isTier(env, tier)) return;
  throw validationError([{ path: "rate_limit_tier", message: `Must be one of: ${Object.keys(rateLimitTiers(env)).join(", ")}` }], "Unknown rate_limit_tier.");
}
