import { now as clockNow } from "./clock";

export interface IsolateCacheOptions {
  /** Entries kept at most: what an isolate keeps per key must stay bounded however many keys it sees. */
  max: number;
  /** How long an entry stays fresh unless `set` says otherwise; without it, until evicted. */
  ttlMs?: number;
}

/**
 * What one isolate remembers per key between requests: at most `max` entries, each returned only
 * while fresh. Setting an entry makes it the newest; when the cache is full, the entry set longest
 * ago makes room (a `Map` iterates in insertion order, so that is its first). Time is read from
 * `lib/clock`, so tests on a manual clock decide freshness without racing the wall clock.
 *
 * @example
 * ```ts
 * const seen = new IsolateCache<string, true>({ max: 10_000, ttlMs: 60_000 });
 * seen.set(digest, true);
 * if (seen.get(digest)) return invalid;
 * ```
 */
export class IsolateCache<K, V> {
  private readonly entries = new Map<K, { value: V; until: number }>();

  constructor(private readonly options: IsolateCacheOptions) {}

  /** The value while fresh at `now`, else undefined (a stale entry is dropped on the way). */
  get(key: K, now = clockNow()): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.until > now) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  /** Stores `value` as the newest entry, fresh for `ttlMs` (the cache's own by default) from `now`. */
  set(key: K, value: V, { ttlMs = this.options.ttlMs ?? Infinity, now = clockNow() }: { ttlMs?: number; now?: number } = {}): void {
    const entries = this.entries;
    if (!entries.delete(key) && entries.size >= this.options.max) entries.delete(entries.keys().next().value!);
    entries.set(key, { value, until: now + ttlMs });
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  /** Forgets everything, as a new isolate would start. */
  clear(): void {
    this.entries.clear();
  }
}
