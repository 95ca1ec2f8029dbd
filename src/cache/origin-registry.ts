import type { Bindings } from "../env";
import { IsolateCache } from "../lib/isolate-cache";

/**
 * Which browser origins may receive a CORS preflight answer: those of an active partner or of a
 * non-revoked key of one. A preflight reads this isolate's map, else KV; never D1.
 *
 * KV layout: `origin:<origin>` → "1" while registered. Kept exact by `syncOrigins`, which every
 * mutation touching origins (or a partner's status) calls with the origins it may have changed.
 *
 * An origin leaves the registry within 30 s of its partner's suspension: KV's edge cache holds a
 * read for KV_CACHE_TTL_S, and this isolate remembers only refusals (10 s), which cannot delay a
 * removal. Browsers cache a granted preflight themselves (Access-Control-Max-Age), which is why
 * the real request is always checked against the key's own list and its partner's status.
 */
const KV_CACHE_TTL_S = 30;
const kvKey = (origin: string) => `origin:${origin}`;

/** Origins this isolate recently found unregistered. */
const unregistered = new IsolateCache<string, true>({ max: 5_000, ttlMs: 10_000 });

/** Whether a preflight from `origin` may be answered: this isolate's recent refusals, else KV. */
export async function isRegisteredOrigin(env: Bindings, origin: string): Promise<boolean> {
  if (unregistered.get(origin)) return false;
  const registered = (await env.KEY_CACHE.get(kvKey(origin), { cacheTtl: KV_CACHE_TTL_S })) !== null;
  if (registered) unregistered.delete(origin);
  else unregistered.set(origin, true);
  return registered;
}

const STILL_REGISTERED = `
  SELECT DISTINCT j.value AS origin FROM api_keys k JOIN partners p ON p.id = k.partner_id, json_each(k.allowed_origins) j
   WHERE k.revoked_at IS NULL AND p.status = 'active' AND j.value IN (SELECT value FROM json_each(?1))
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
      unregistered.delete(origin);
      return registered.has(origin) ? env.KEY_CACHE.put(kvKey(origin), "1") : env.KEY_CACHE.delete(kvKey(origin));
    }),
  );
}
