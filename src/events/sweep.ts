import { pruneReacted, unreactedEventIds } from "../db/outbox";
import type { Bindings } from "../env";
import { now } from "../lib/clock";
import { nowIso } from "../lib/time";
import { react } from "./react";
import { pruneUsage } from "../db/usage";
import { GRANULARITIES, RETENTION_MS } from "../usage/buckets";
import { undispatchedEventIds } from "../db/outbox";
import { pruneDeliveries, strandedDeliveryIds } from "../db/deliveries";
import { dispatchEvents } from "./dispatch";
import { DELIVERY_RETENTION_MS } from "./webhooks/config";
import { sendDeliveries } from "./webhooks/fan-out";

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

/** A queued attempt this far past due lost its message (a delivery is normally taken within seconds). */
export const STRANDED_AFTER_MS = 60_000;

/**
 * The Cron Trigger's job (DESIGN §8): re-runs the reactions of outbox rows left unreacted (a
 * failed reaction whose queue send or retries were lost too) and marks them; puts on the queue the
 * events that never got there (a crash between commit and send) and the delivery attempts whose
 * message was lost; then prunes events reacted more than OUTBOX_RETENTION_MS ago, the delivery
 * log past DELIVERY_RETENTION_MS, and usage buckets past their retention (DESIGN §7).
 */
export async function sweep(env: Bindings, limit = SWEEP_BATCH) {
  const at = now();
  const ids = await unreactedEventIds(env.DB, nowIso(at - SWEEP_MIN_AGE_MS), nowIso(at), limit);
  let done = 0;
  // One at a time: a key's reaction may wait for its guard's leases, and this is background work.
  for (const id of ids) if (await react(env, id).catch(() => false)) done++;
  // Events not fanned out: a crash or failed send after the commit, a dispatch lost or dead-lettered.
  const undispatched = await undispatchedEventIds(env.DB, nowIso(at - SWEEP_MIN_AGE_MS), limit);
  await dispatchEvents(env, undispatched);
  const stranded = await strandedDeliveryIds(env.DB, nowIso(at - STRANDED_AFTER_MS), nowIso(at), limit);
  if (stranded.length > 0) await sendDeliveries(env, stranded, 0).catch(() => undefined);
  const pruned = await pruneReacted(env.DB, nowIso(at - OUTBOX_RETENTION_MS), PRUNE_BATCH);
  const deliveriesPruned = await pruneDeliveries(env.DB, nowIso(at - DELIVERY_RETENTION_MS), PRUNE_BATCH);
  let usagePruned = 0;
  for (const g of GRANULARITIES) usagePruned += await pruneUsage(env.DB, g, at - RETENTION_MS[g], PRUNE_BATCH);
  const result = { tried: ids.length, done, dispatched: undispatched.length, stranded: stranded.length, pruned, deliveriesPruned, usagePruned };
  if (Object.values(result).some((n) => n > 0)) console.log(JSON.stringify({ level: "info", msg: "outbox sweep", ...result }));
  return result;
}
