import { describe, expect, it } from "vitest";
import { hashKey, mintKey, verifiedDigest } from "../../src/keys/crypto";
import { parseKey } from "../../src/keys/format";

describe("verifiedDigest", () => {
  it("gives a genuine key's digest again from the isolate's memory, only under the pepper that verified it", async () => {
    const minted = await mintKey("pepper-a", "kw", "secret");
    const parsed = parseKey(minted.full, "kw")!;
    expect(await verifiedDigest("pepper-a", parsed)).toBe(minted.hash);
    expect(await verifiedDigest("pepper-a", parsed), "remembered: the same digest the HMAC gives").toBe(await hashKey("pepper-a", minted.full));
    expect(await verifiedDigest("pepper-b", parsed), "another pepper: verified afresh, and refused").toBeNull();
    expect(await verifiedDigest("pepper-a", parsed), "still genuine under its own").toBe(minted.hash);
  });

  it("refuses a forged tag every time, before and after its genuine twin was verified", async () => {
    const minted = await mintKey("pepper-a", "kw", "secret", undefined, "legacy");
    const forged = minted.full.slice(0, -1) + (minted.full.endsWith("A") ? "B" : "A");
    expect(await verifiedDigest("pepper-a", parseKey(forged, "kw")!)).toBeNull();
    expect(await verifiedDigest("pepper-a", parseKey(minted.full, "kw")!)).toBe(minted.hash);
    expect(await verifiedDigest("pepper-a", parseKey(forged, "kw")!)).toBeNull();
  });
});
