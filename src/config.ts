import type { Bindings } from "./env";

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
  const tiers = rateLimitTiers(env);
  return (Object.hasOwn(tiers, name) ? tiers[name] : undefined) ?? tiers.standard ?? Object.values(tiers)[0]!;
}

export const keyPrefix = (env: Pick<Bindings, "KEY_PREFIX">) => env.KEY_PREFIX || "kw";
