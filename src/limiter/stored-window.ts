import { MultiWindow } from "./multi-window";
import { SlidingWindow } from "./sliding-window";
import type { Limit } from "./tiers";

/**
 * Storage of a key guard's windows, one slot per limit of its tier, by position:
 *
 *   slot 0     rl:meta, rl:b:<bucket>          (the layout of single-limit guards before §10)
 *   slot k>0   rl:<k>:meta, rl:<k>:b:<bucket>
 *
 * `meta` is "limit/windowMs" the slot's buckets were counted under; `b:<bucket>` the requests
 * admitted in that bucket. A guard stored before tiers had several limits thus keeps its count as
 * the window of its tier's first limit when that limit is unchanged, and any slot whose limit or
 * window changed starts afresh, as a tier change always has: counts are never read under a limit
 * other than the one they were counted for.
 */
// `base` prefixes a pool's windows (./partner-pool.ts: `p:` for the partner's, `k:<id>:` for a key's); "" in a key's guard.
const slotPrefix = (slot: number, base = "") => (slot === 0 ? `${base}rl:` : `${base}rl:${slot}:`);
const metaKey = (slot: number, base = "") => `${slotPrefix(slot, base)}meta`;
const bucketPrefix = (slot: number, base = "") => `${slotPrefix(slot, base)}b:`;

/** The storage key of one bucket of one slot. */
export const bucketKey = (slot: number, bucket: number, base = "") => bucketPrefix(slot, base) + bucket;

const metaOf = (limit: Limit) => `${limit.limit}/${limit.window_seconds * 1000}`;

/** Whether a window counts under `limit` (its name aside: a renamed limit keeps its count). */
const countsFor = (w: SlidingWindow | undefined, limit: Limit) => w !== undefined && w.limit === limit.limit && w.windowMs === limit.window_seconds * 1000;

/** Whether `current` already counts under exactly `limits`, names included. */
export function sameLimits(current: MultiWindow | undefined, limits: readonly Limit[]): boolean {
  if (!current) return false;
  if (current.limits === limits) return true;
  return current.limits.length === limits.length && limits.every((l, i) => current.limits[i]!.name === l.name && countsFor(current.windows[i], l));
}

/**
 * A key guard's windows for `limits`. A slot whose window `current` holds in memory under the
 * same limit is kept as it is (its newest buckets may not be written yet); the others are read
 * from storage, or wiped and restarted when stored under another limit. Slots past the tier's
 * last limit are deleted. `dropped` is told each slot restarted or deleted, so the caller forgets
 * its unwritten buckets rather than writing them under the new meta.
 */
export function storedWindows(
  kv: SyncKvStorage,
  limits: readonly Limit[],
  current: MultiWindow | undefined,
  dropped: (prefix: string) => void,
  base = "",
): MultiWindow {
  const windows = limits.map((limit, slot) => {
    const inMemory = current?.windows[slot];
    if (countsFor(inMemory, limit)) return inMemory!;
    dropped(bucketPrefix(slot, base));
    return storedWindow(kv, slot, limit, base);
  });
  for (const [key] of kv.list({ prefix: `${base}rl:` })) {
    const slot = /^rl:(\d+):/.exec(key.slice(base.length))?.[1];
    if (slot !== undefined && Number(slot) >= limits.length) {
      kv.delete(key);
      dropped(bucketPrefix(Number(slot), base));
    }
  }
  return new MultiWindow(limits, windows);
}

function storedWindow(kv: SyncKvStorage, slot: number, limit: Limit, base: string): SlidingWindow {
  const prefix = bucketPrefix(slot, base);
  const counts = new Map<number, number>();
  if (kv.get<string>(metaKey(slot, base)) === metaOf(limit)) {
    for (const [key, n] of kv.list<number>({ prefix })) counts.set(Number(key.slice(prefix.length)), n);
  } else {
    for (const [key] of kv.list({ prefix })) kv.delete(key);
    kv.put(metaKey(slot, base), metaOf(limit));
  }
  return new SlidingWindow(limit.limit, limit.window_seconds * 1000, counts);
}
