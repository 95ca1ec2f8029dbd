import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IsolateCache } from "../../src/lib/isolate-cache";

/** Keys the cache holds, fresh or not: at -Infinity every entry is still fresh, and a read there drops nothing. */
const held = <K>(cache: IsolateCache<K, unknown>, keys: readonly K[]) => keys.filter((k) => cache.get(k, -Infinity) !== undefined);

describe("IsolateCache", () => {
  it("drops the entry set longest ago once the cache is full, never more", () => {
    const cache = new IsolateCache<string, number>({ max: 3 });
    for (const [i, key] of ["a", "b", "c", "d"].entries()) cache.set(key, i);
    expect(held(cache, ["a", "b", "c", "d"])).toEqual(["b", "c", "d"]);
  });

  it("updating a key makes it the newest and evicts nothing", () => {
    const cache = new IsolateCache<string, number>({ max: 3 });
    for (const [key, value] of [["a", 1], ["b", 2], ["c", 3]] as const) cache.set(key, value);
    cache.set("a", 10);
    expect(["a", "b", "c"].map((k) => cache.get(k))).toEqual([10, 2, 3]);
    cache.set("d", 4);
    expect(held(cache, ["a", "b", "c", "d"])).toEqual(["a", "c", "d"]);
  });

  it("returns an entry only before its expiry, from the cache's TTL or the one it was set with", () => {
    const cache = new IsolateCache<string, string>({ max: 10, ttlMs: 100 });
    cache.set("default", "x", { now: 1_000 });
    cache.set("short", "y", { ttlMs: 10, now: 1_000 });
    expect([cache.get("default", 1_099), cache.get("short", 1_009)]).toEqual(["x", "y"]);
    expect([cache.get("default", 1_100), cache.get("short", 1_010)]).toEqual([undefined, undefined]);
    // A stale entry is dropped when read, so it no longer takes room.
    expect(held(cache, ["default", "short"])).toEqual([]);
  });

  it("property: never more than `max` entries; a value only before its expiry; the newest `max` keys survive until then", () => {
    const op = fc.record({
      key: fc.integer({ min: 0, max: 9 }),
      read: fc.boolean(),
      ttlMs: fc.integer({ min: 0, max: 50 }),
      advance: fc.integer({ min: 0, max: 20 }),
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 200 }), (max, ops) => {
        const cache = new IsolateCache<number, number>({ max });
        const last = new Map<number, { value: number; until: number }>();
        const setOrder: number[] = [];
        let now = 0;
        ops.forEach(({ key, read, ttlMs, advance }, i) => {
          now += advance;
          if (read) {
            const got = cache.get(key, now);
            const set = last.get(key);
            if (got !== undefined) {
              expect(got).toBe(set!.value);
              expect(now).toBeLessThan(set!.until);
            }
            const othersSince = new Set(setOrder.slice(setOrder.lastIndexOf(key) + 1));
            if (set && now < set.until && othersSince.size < max) expect(got).toBe(set.value);
          } else {
            cache.set(key, i, { ttlMs, now });
            last.set(key, { value: i, until: now + ttlMs });
            setOrder.push(key);
            if (ttlMs > 0) expect(cache.get(key, now)).toBe(i);
          }
          expect(held(cache, [...last.keys()]).length).toBeLessThanOrEqual(max);
        });
      }),
    );
  });
});
