import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checksumOf, crc32 } from "../../src/keys/checksum";
import { hashKey, mintKey, verifiedDigest } from "../../src/keys/crypto";
import { hasValidChecksum, parseKey, type KeyType } from "../../src/keys/format";
import { bytesToBase62, toHex } from "../../src/lib/encoding";
import { call, createKey, createPartner, me } from "../helpers";

const PEPPER = "unit-pepper";
const TYPES: KeyType[] = ["secret", "publishable", "tokenization", "personal"];
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A key exactly as the code before checksums minted it (written out here, independent of src/keys). */
async function oldStyleKey(pepper: string, prefix: string, code: string, idPart: string) {
  const secret = Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) => BASE62[b % 62]).join("");
  const signed = `${prefix}_${code}_${idPart}${secret}`;
  const hmac = await crypto.subtle.importKey("raw", new TextEncoder().encode(pepper), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", hmac, new TextEncoder().encode(`key:v1:${signed}`)));
  return { full: signed + bytesToBase62(mac, 6), hash: toHex(mac.buffer as ArrayBuffer) };
}

describe("public key checksum", () => {
  it("is CRC-32 (IEEE) as zlib computes it, in 6 zero-padded base62 digits", () => {
    expect(crc32("123456789")).toBe(0xcbf43926);
    expect(crc32("")).toBe(0);
    expect(checksumOf("")).toBe("000000");
    // 0xcbf43926 = 3421780262 = 3·62^5 + 45·62^4 + 35·62^3 + 27·62^2 + 22·62 + 14
    expect(checksumOf("123456789")).toBe("3jZRME");
  });

  it("every newly minted key, of every type and prefix, ends with a valid checksum", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...TYPES), fc.stringMatching(/^[a-z0-9]{1,8}$/), async (type, prefix) => {
        const { full } = await mintKey(PEPPER, prefix, type);
        expect(hasValidChecksum(full)).toBe(true);
        expect(parseKey(full, prefix)?.format).toBe("checksummed");
      }),
      { numRuns: 200 },
    );
  });

  it("any single-character change fails the checksum, and the key then fails verification before any storage", async () => {
    const keys = await Promise.all(TYPES.map((t) => mintKey(PEPPER, "kw", t)));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keys), fc.nat(), fc.constantFrom(...BASE62, "_", "-", "="), async ({ full }, at, ch) => {
        const position = at % full.length;
        fc.pre(full[position] !== ch);
        const typo = full.slice(0, position) + ch + full.slice(position + 1);
        expect(hasValidChecksum(typo)).toBe(false);
        const parsed = parseKey(typo, "kw");
        expect(parsed === null || (await verifiedDigest(PEPPER, parsed)) === null).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("a key whose checksum alone was changed keeps a genuine tag, and is still refused", async () => {
    const { full } = await mintKey(PEPPER, "kw", "secret");
    const typo = full.slice(0, -1) + (full.endsWith("a") ? "b" : "a");
    expect(parseKey(typo, "kw")).not.toBeNull();
    expect(await verifiedDigest(PEPPER, parseKey(typo, "kw")!)).toBeNull();
  });

  it("tells noise and old keys apart from checksummed keys without any secret", async () => {
    expect(hasValidChecksum("")).toBe(false);
    expect(hasValidChecksum("kw_sk_" + "a".repeat(52))).toBe(false);
    expect(hasValidChecksum("ghp_" + "a".repeat(36))).toBe(false);
    const old = await oldStyleKey(PEPPER, "kw", "sk", "A".repeat(16));
    expect(hasValidChecksum(old.full)).toBe(false);
  });
});

describe("keys issued before checksums", () => {
  it("still parse as legacy keys, verify their tag and keep their stored digest", async () => {
    const old = await oldStyleKey(PEPPER, "kw", "sk", "B".repeat(16));
    const parsed = parseKey(old.full, "kw")!;
    expect(parsed).toMatchObject({ format: "legacy", keyId: `key_${"B".repeat(16)}`, type: "secret" });
    expect(await verifiedDigest(PEPPER, parsed)).toBe(old.hash);
    expect(await hashKey(PEPPER, old.full)).toBe(old.hash);
  });

  it("mintKey's legacy format is byte for byte the old code path", async () => {
    const minted = await mintKey(PEPPER, "kw", "secret", "C".repeat(16), "legacy");
    expect(minted.full).toHaveLength(6 + 46);
    expect(await verifiedDigest(PEPPER, parseKey(minted.full, "kw")!)).toBe(minted.hash);
  });

  it("a checksummed key with its checksum cut off is no valid legacy key: one spelling per secret", async () => {
    const { full } = await mintKey(PEPPER, "kw", "secret");
    const cut = parseKey(full.slice(0, -6), "kw")!;
    expect(cut.format).toBe("legacy");
    expect(await verifiedDigest(PEPPER, cut)).toBeNull();
  });

  it("an old key stored before the upgrade still authenticates, and a new one beside it too", async () => {
    const partner = await createPartner();
    const created = await createKey(partner.id);
    expect(hasValidChecksum(created.key)).toBe(true);
    expect((await me(created.key)).status).toBe(200);
    // The row as the old code wrote it: the same id, a legacy key's digest.
    const old = await oldStyleKey(env.KEY_PEPPER!, "kw", "sk", created.api_key.id.slice(4));
    await env.DB.prepare("UPDATE api_keys SET secret_hash = ?2, last_four = ?3 WHERE id = ?1").bind(created.api_key.id, old.hash, old.full.slice(-4)).run();
    const res = await me(old.full);
    expect(res.status, res.text).toBe(200);
    expect(res.body.id).toBe(created.api_key.id);
    expect((await call("/v1/keys/verify", { body: { key: old.full } })).body).toMatchObject({ valid: true });
  });
});
