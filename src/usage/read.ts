import { storedKeyUsage, storedPartnerUsage } from "../db/usage";
import type { Bindings } from "../env";
import { guardOf } from "../limiter/client";
import { rollUp, series, type Counts, type UsageRange } from "./buckets";
import { giveBack, takeTally } from "./isolate-tally";

/**
 * A key's usage over `range`, exact and current: D1's stored buckets plus what the key's guard
 * counted since its last flush (the open bucket included). The guard is asked first, then D1: a
 * flush committing in between is then seen by D1, and its segment skipped here by sequence.
 * What this isolate decided alone for the key rides along, so the answer includes it.
 */
export async function keyUsage(env: Bindings, keyId: string, range: UsageRange) {
  const mine = takeTally(keyId);
  const live = await guardOf(env, keyId)
    .liveUsage(mine)
    .catch((err: unknown) => {
      if (mine) giveBack(keyId, mine);
      throw err;
    });
  const stored = await storedKeyUsage(env.DB, keyId, range);
  const unflushed = live.filter((segment) => segment.seq > stored.seq).map((segment) => rollUp(segment.minutes as [number, Counts][], range.granularity));
  return series(range, stored.counts, ...unflushed);
}

/** A partner's usage over `range`: its keys' stored buckets summed (a flush behind its keys at most). */
export async function partnerUsage(env: Bindings, partnerId: string, range: UsageRange) {
  return series(range, await storedPartnerUsage(env.DB, partnerId, range));
}
