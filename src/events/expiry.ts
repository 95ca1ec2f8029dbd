import { expiryCandidates, expiryNoticeStatements } from "../db/expiry-notices";
import type { Bindings } from "../env";
import { now } from "../lib/clock";
import { nowIso } from "../lib/time";
import { dispatchEvents } from "./dispatch";

/**
 * Keys per run: the cron fires every minute, so a backlog (a bulk of keys created with one
 * expiry) drains at this many a minute, and one run stays at 1 read plus 2 statements a key.
 */
const EXPIRY_BATCH = 50;

/**
 * The Cron Trigger's expiry reminders (DESIGN §8): `key.expiring` 7 days and 1 day before a key's
 * `expires_at`, then `key.expired`, each written once. Each notice commits in one batch with the
 * key's flag for it (src/db/expiry-notices.ts), guarded so an overlapping run, a run that died
 * halfway or a PATCH in between never yields a second one. Notices are then put on the queue for
 * their webhooks; one that misses it is sent by the sweep. Returns the ids of the notices written.
 */
export async function remindExpiring(env: Bindings, limit = EXPIRY_BATCH): Promise<string[]> {
  const at = now();
  const candidates = await expiryCandidates(env.DB, at, limit);
  if (candidates.length === 0) return [];
  const notices = candidates.map((candidate) => expiryNoticeStatements(env.DB, candidate, nowIso(at)));
  const results = await env.DB.batch(notices.flatMap((n) => n.statements));
  // Each notice is the second of its pair; it was written only if its mark changed the key.
  const written = notices.filter((_, i) => (results[2 * i + 1]?.meta.changes ?? 0) > 0).map((n) => n.id);
  await dispatchEvents(env, written);
  if (written.length > 0) console.log(JSON.stringify({ level: "info", msg: "expiry notices", written: written.length }));
  return written;
}
