import type { Bindings } from "../env";
import { setBounded } from "../lib/bounded-map";

/**
 * Which browser origins may receive a CORS preflight answer: those on some non-revoked key or
 * active partner. A preflight reads this isolate's map, else KV; never D1.
 *
 * KV layout: `origin:<origin>` → "1" while registered. Kept exact by `syncOrigins`, which every
 * mutation touching origins calls with the origins it added or removed.
 */
const TTL_MS = 60_000;
const NEGATIVE_TTL_MS = 10_000;
const MAX_ENTRIES = 5_000;
const kvKey = (origin: string) => `origin:${origin}`;

const isolate = new Map<string, { registered: boolean; until: number }>();

export async function isRegisteredOrigin(env: Bindings, origin: string): Promise<boolean> {
  const now = Date.now();
  const hit = isolate.get(origin);
  if (hit && hit.until > now) return hit.registered;
  const registered = (await env.KEY_CACHE.get(kvKey(origin), { cacheTtl: 60 })) !== null;
  setBounded(isolate, origin, { registered, until: now + (registered ? TTL_MS : NEGATIVE_TTL_MS) }, MAX_ENTRIES);
  return registered;
}

const STILL_REGISTERED = `
  SELECT DISTINCT j.value AS origin FROM api_keys k, json_each(k.allowed_origins) j
   WHERE k.revoked_at IS NULL AND j.value IN (SELECT value FROM json_each(?1))
  UNION
  SELECT DISTINCT j.value FROM partners p, json_each(p.allowed_origins) j
   WHERE p.status = 'active' AND j.value IN (SELECT value FROM json_each(?1))`;

/** Re-derives the registration of `origins` from D1 after a change, and writes it to KV. */
export async function syncOrigins(env: Bindings, origins: Iterable<string>): Promise<void> {
  const affected = [...new Set(origins)];
  if (affected.length === 0) return;
  const { results } = await env.DB.prepare(STILL_REGISTERED).bind(JSON.stringify(affected)).all<{ origin: string }>();
  const registered = new Set(results.map((r) => r.origin));
  await Promise.all(
    affected.map((origin) => {
      isolate.delete(origin);
      return registered.has(origin) ? env.KEY_CACHE.put(kvKey(origin), "1") : env.KEY_CACHE.delete(kvKey(origin));
    }),
  );
}
