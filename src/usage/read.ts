import { storedKeyUsage, storedPartnerUsage } from "../db/usage";
import type { Bindings } from "../env";
import { guardOf, poolOf } from "../limiter/client";
import { rollUp, series, type Counts, type UsageRange } from "./buckets";
import { giveBack, takeTally } from "./isolate-tally";

/**
 * A key's usage over `range`, exact and current: D1's stored buckets plus what the key's guard
 * counted since its last flush (the open bucket included). The guard is asked first, then D1: a
 * flush committing in between is then seen by D1, and its segment skipped here by sequence.
 * What this isolate decided alone for the key rides along, so the answer includes it. A key of a
 * pooled partner is counted by its partner's object (src/limiter/partner-pool.ts), and may have
 * been by its own guard before: both are asked, and each segment D1 does not hold yet is added.
 */
export async function keyUsage(env: Bindings, keyId: string, partnerId: string, range: UsageRange) {
  const mine = takeTally(keyId);
  const [own, pooled] = await Promise.all([guardOf(env, keyId).liveUsage(mine), poolOf(env, partnerId).pooledUsage(keyId)]).catch((err: unknown) => {
    if (mine) giveBack(keyId, mine);
    throw err;
  });
  const live = [...own, ...pooled];
  const stored = await storedKeyUsage(env.DB, keyId, range);
  const unflushed = live.filter((segment) => segment.seq > stored.seq).map((segment) => rollUp(segment.minutes as [number, Counts][], range.granularity));
  return series(range, stored.counts, ...unflushed);
}

/** A partner's usage over `range`: its keys' stored buckets summed (a flush behind its keys at most). */
export async function partnerUsage(env: Bindings, partnerId: string, range: UsageRange) {
  return series(range, await storedPartnerUsage(env.DB, partnerId, range));
}
