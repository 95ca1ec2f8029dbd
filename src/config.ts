import type { Bindings } from "./env";
import { validationError } from "./lib/problem";
import { parseTiers, type Tier } from "./limiter/tiers";

export type { Limit, Tier } from "./limiter/tiers";

const single = (name: string, limit: number, window_seconds: number): Tier => ({ limits: [{ name, limit, window_seconds }], limit, window_seconds });

export const DEFAULT_TIERS: Record<string, Tier> = Object.assign(Object.create(null) as Record<string, Tier>, {
  standard: single("standard", 1000, 60),
  premium: single("premium", 20000, 60),
});

/** Whether `name` is a configured tier: own entries only. */
export const isTier = (env: Pick<Bindings, "RATE_LIMIT_TIERS">, name: string): boolean => Object.hasOwn(rateLimitTiers(env), name);

const parsedTiers = new Map<string, Record<string, Tier>>();

/**
 * Tiers from the RATE_LIMIT_TIERS var (a JSON string so `--var` can set it; the rules are in
 * ./limiter/tiers.ts). A malformed value falls back to the defaults rather than taking the API
 * down; a malformed tier is dropped whole, never enforced in part.
 */
export function rateLimitTiers(env: Pick<Bindings, "RATE_LIMIT_TIERS">): Record<string, Tier> {
  const raw = env.RATE_LIMIT_TIERS ?? "";
  let tiers = parsedTiers.get(raw);
  if (tiers) return tiers;
  const parsed = parseTiers(raw);
  if (parsed.dropped.length > 0) {
    console.error(JSON.stringify({ level: "warn", msg: "RATE_LIMIT_TIERS: malformed tiers dropped", tiers: parsed.dropped }));
  }
  tiers = Object.keys(parsed.tiers).length === 0 ? DEFAULT_TIERS : parsed.tiers;
  parsedTiers.set(raw, tiers);
  return tiers;
}

/**
 * The tier a key is counted under. A name no longer configured (a tier removed from
 * RATE_LIMIT_TIERS after keys were given it) falls back to `standard`, else the first tier, so
 * such keys keep a real limit rather than none.
 */
export function tierNamed(env: Pick<Bindings, "RATE_LIMIT_TIERS">, name: string): Tier {
  const { name: _, ...tier } = resolvedTier(env, name);
  return tier;
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
