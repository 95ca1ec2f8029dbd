import { describe, expect, it } from "vitest";
import { setBounded } from "../../src/lib/bounded-map";

describe("setBounded", () => {
  it("drops the entry set longest ago once the map is full, never more", () => {
    const map = new Map<string, number>();
    for (const [i, key] of ["a", "b", "c", "d"].entries()) setBounded(map, key, i, 3);
    expect([...map.keys()]).toEqual(["b", "c", "d"]);
  });

  it("updating a key makes it the newest and evicts nothing", () => {
    const map = new Map([["a", 1], ["b", 2], ["c", 3]]);
    setBounded(map, "a", 10, 3);
    expect([...map.entries()]).toEqual([["b", 2], ["c", 3], ["a", 10]]);
    setBounded(map, "d", 4, 3);
    expect([...map.keys()]).toEqual(["c", "a", "d"]);
  });
});
