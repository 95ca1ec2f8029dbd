import { describe, expect, it } from "vitest";
import { constantTimeEqual, hashKey, mintKey, verifiedDigest } from "../../src/keys/crypto";

const hasValidTag = async (pepper: string, key: Parameters<typeof verifiedDigest>[1]) => (await verifiedDigest(pepper, key)) !== null;
import { displayPrefix, maskKey, parseKey } from "../../src/keys/format";
import { withChecksum } from "../../src/keys/checksum";

const PEPPER = "unit-pepper";

describe("key format", () => {
  it("mints typed keys with the documented prefixes", async () => {
    for (const [type, code] of [["secret", "sk"], ["publishable", "pk"], ["tokenization", "tk"], ["personal", "pat"]] as const) {
      const minted = await mintKey(PEPPER, "kw", type);
      expect(minted.full.startsWith(`kw_${code}_`)).toBe(true);
      const parsed = parseKey(minted.full, "kw")!;
      expect(parsed.type).toBe(type);
      expect(parsed.keyId).toBe(minted.keyId);
      expect(displayPrefix("kw", type, minted.keyId)).toBe(`kw_${code}_${minted.keyId.slice(4)}`);
    }
  });

  it("carries at least 128 bits of secret: no two keys share a secret part", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add((await mintKey(PEPPER, "kw", "secret")).full.slice(22, 46));
    expect(seen.size).toBe(200);
  });

  it("accepts its own tag and rejects any single-character change", async () => {
    const { full } = await mintKey(PEPPER, "kw", "secret");
    expect(await hasValidTag(PEPPER, parseKey(full, "kw")!)).toBe(true);
    for (const position of [6, 10, 30, full.length - 1]) {
      const ch = full[position] === "a" ? "b" : "a";
      const typo = full.slice(0, position) + ch + full.slice(position + 1);
      const parsed = parseKey(typo, "kw");
      expect(parsed === null || !(await hasValidTag(PEPPER, parsed))).toBe(true);
    }
  });

  it("rejects a tag made under another pepper", async () => {
    const { full } = await mintKey("someone-elses-pepper", "kw", "secret");
    expect(await hasValidTag(PEPPER, parseKey(full, "kw")!)).toBe(false);
  });

  it("does not parse foreign prefixes, unknown types or malformed bodies", async () => {
    const { full } = await mintKey(PEPPER, "kw", "secret");
    expect(parseKey(full.replace("kw_", "xx_"), "kw")).toBeNull();
    expect(parseKey(full.replace("_sk_", "_zz_"), "kw")).toBeNull();
    expect(parseKey(full.slice(0, -1), "kw")).toBeNull();
    expect(parseKey(`${full}x`, "kw")).toBeNull();
    expect(parseKey(full.replace(/.$/, "-"), "kw")).toBeNull();
    expect(parseKey("", "kw")).toBeNull();
    expect(parseKey("kw_sk_" + "a".repeat(500), "kw")).toBeNull();
  });

  it("a tag-valid key whose type code was swapped no longer verifies, even with its public checksum recomputed", async () => {
    const { full } = await mintKey(PEPPER, "kw", "secret");
    expect(await hasValidTag(PEPPER, parseKey(full.replace("_sk_", "_pk_"), "kw")!)).toBe(false);
    const swapped = parseKey(withChecksum(full.replace("_sk_", "_pk_").slice(0, -6)), "kw")!;
    expect(swapped.type).toBe("publishable");
    expect(await hasValidTag(PEPPER, swapped)).toBe(false);
  });

  it("stores a 256-bit HMAC digest that differs per pepper and never contains the key", async () => {
    const { full, hash } = await mintKey(PEPPER, "kw", "secret");
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(await hashKey(PEPPER, full));
    expect(await verifiedDigest(PEPPER, parseKey(full, "kw")!)).toBe(hash);
    expect(hash).not.toBe(await hashKey("other", full));
    expect(hash).not.toContain(full.slice(6));
  });

  it("masks keys to a prefix and the last four characters", async () => {
    const { full } = await mintKey(PEPPER, "kw", "secret");
    const masked = maskKey(full);
    expect(masked.endsWith(full.slice(-4))).toBe(true);
    expect(masked).not.toContain(full.slice(22, 46));
  });

  it("compares in constant time and only equal strings match", () => {
    expect(constantTimeEqual("abc", "abc")).toBe(true);
    expect(constantTimeEqual("abc", "abd")).toBe(false);
    expect(constantTimeEqual("abc", "abcd")).toBe(false);
  });
});
