import { pruneReacted, unreactedEventIds } from "../db/outbox";
import type { Bindings } from "../env";
import { now } from "../lib/clock";
import { nowIso } from "../lib/time";
import { react } from "./react";
import { pruneUsage } from "../db/usage";
import { GRANULARITIES, RETENTION_MS } from "../usage/buckets";

/**
 * Rows younger than this are most likely still being handled: by the request that committed them
 * or by the queue's first retry (FIRST_RETRY_SECONDS). The sweep is the net under both.
 */
export const SWEEP_MIN_AGE_MS = 30_000;
/** Per run: the cron fires every minute, so a backlog drains at this many events a minute without one run growing unbounded. */
const SWEEP_BATCH = 50;
/** Reacted events are kept this long (the audit trail keeps the history for good). */
export const OUTBOX_RETENTION_MS = 30 * 24 * 3600_000;
const PRUNE_BATCH = 1_000;

/**
 * The Cron Trigger's job (DESIGN §8): re-runs the reactions of outbox rows left unreacted (a
 * failed reaction whose queue send or retries were lost too) and marks them, then prunes events
 * reacted more than OUTBOX_RETENTION_MS ago, and usage buckets past their retention (DESIGN §7).
 * Returns how many it tried, finished and pruned.
 */
export async function sweep(env: Bindings, limit = SWEEP_BATCH): Promise<{ tried: number; done: number; pruned: number; usagePruned: number }> {
  const at = now();
  const ids = await unreactedEventIds(env.DB, nowIso(at - SWEEP_MIN_AGE_MS), nowIso(at), limit);
  let done = 0;
  // One at a time: a key's reaction may wait for its guard's leases, and this is background work.
  for (const id of ids) if (await react(env, id).catch(() => false)) done++;
  const pruned = await pruneReacted(env.DB, nowIso(at - OUTBOX_RETENTION_MS), PRUNE_BATCH);
  let usagePruned = 0;
  for (const g of GRANULARITIES) usagePruned += await pruneUsage(env.DB, g, at - RETENTION_MS[g], PRUNE_BATCH);
  if (ids.length > 0 || pruned > 0 || usagePruned > 0) {
    console.log(JSON.stringify({ level: "info", msg: "outbox sweep", tried: ids.length, done, pruned, usage_pruned: usagePruned }));
  }
  return { tried: ids.length, done, pruned, usagePruned };
}
