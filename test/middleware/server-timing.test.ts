import { describe, expect, it } from "vitest";
import { dropIsolateCache } from "../../src/cache/key-records";
import { mintKey } from "../../src/keys/crypto";
import { call, env, partnerWithKey, storageCalls, tamper } from "../helpers";

const timing = async (key: string) => storageCalls(await call("/v1/me/key", { auth: key }));

describe("Server-Timing", () => {
  it("warm key: no D1, no KV, exactly one Durable Object call", async () => {
    const { key } = await partnerWithKey();
    await timing(key);
    expect(await timing(key)).toEqual({ do: 1 });
    expect(await timing(key)).toEqual({ do: 1 });
  });

  it("first request in a fresh isolate: one KV read and one Durable Object call, no D1", async () => {
    const { key } = await partnerWithKey();
    dropIsolateCache();
    expect(await timing(key)).toEqual({ kv: 1, do: 1 });
    expect(await timing(key)).toEqual({ do: 1 });
  });

  it("KV miss: one D1 round trip, the KV read and its refill, one Durable Object call", async () => {
    const { key, apiKey } = await partnerWithKey();
    await env.KEY_CACHE.delete(`key:${apiKey.id}`);
    dropIsolateCache();
    expect(await timing(key)).toEqual({ d1: 1, kv: 2, do: 1 });
  });

  it("forged and malformed keys touch no storage at all", async () => {
    const forged = (await mintKey("attacker-pepper", "kw", "secret")).full;
    for (const credential of [forged, "kw_sk_short", "not-a-key", tamper(forged)]) {
      expect(await timing(credential)).toEqual({});
    }
  });

  it("an unknown id with a valid tag is looked up once, then answered from the negative cache", async () => {
    const unknown = (await mintKey("test-pepper", "kw", "secret")).full;
    expect(await timing(unknown)).toEqual({ d1: 1, kv: 2 });
    expect(await timing(unknown)).toEqual({});
  });

  it("healthz touches no storage", async () => {
    expect(storageCalls(await call("/healthz", { auth: null }))).toEqual({});
  });
});
