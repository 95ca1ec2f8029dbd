import type { Tier } from "../config";
import { SlidingWindow } from "./sliding-window";

/** Storage key prefix of a key guard's window buckets: `rl:b:<bucket index>` → requests admitted in it. */
export const BUCKET_PREFIX = "rl:b:";
const META = "rl:meta";

/**
 * A key guard's sliding window for `tier`, from its storage. The buckets were counted under the
 * limit and window recorded in `rl:meta`; a tier change starts afresh.
 */
export function storedWindow(kv: SyncKvStorage, tier: Tier): SlidingWindow {
  const windowMs = tier.window_seconds * 1000;
  const meta = `${tier.limit}/${windowMs}`;
  const counts = new Map<number, number>();
  if (kv.get<string>(META) === meta) {
    for (const [key, n] of kv.list<number>({ prefix: BUCKET_PREFIX })) counts.set(Number(key.slice(BUCKET_PREFIX.length)), n);
  } else {
    for (const [key] of kv.list({ prefix: BUCKET_PREFIX })) kv.delete(key);
    kv.put(META, meta);
  }
  return new SlidingWindow(tier.limit, windowMs, counts);
}
