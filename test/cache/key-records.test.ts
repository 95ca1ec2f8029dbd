import { describe, expect, it } from "vitest";
import { dropIsolateCache } from "../../src/cache/key-records";
import { call, createPartner, createKey, env, partnerWithKey } from "../helpers";

const me = (key: string) => call("/v1/me/key", { auth: key });

/** What another isolate or a lagging KV location might still hold for this key. */
async function snapshotOfCache(keyId: string): Promise<string> {
  const value = await env.KEY_CACHE.get(`key:${keyId}`);
  expect(value).not.toBeNull();
  return value!;
}

async function restoreStaleCopy(keyId: string, stale: string) {
  await env.KEY_CACHE.put(`key:${keyId}`, stale);
  dropIsolateCache();
}

describe("key record caches", () => {
  it("stores the record in KV on creation and rewrites it on every key mutation", async () => {
    const { apiKey } = await partnerWithKey();
    const initial = JSON.parse(await snapshotOfCache(apiKey.id));
    expect(initial.key.name).toBe("test key");
    await call(`/v1/keys/${apiKey.id}`, { method: "PATCH", body: { name: "renamed" } });
    expect(JSON.parse(await snapshotOfCache(apiKey.id)).key.name).toBe("renamed");
  });

  it("shows scope changes on the next request although the record was cached", async () => {
    const { key, apiKey } = await partnerWithKey({ scopes: ["a", "b"] });
    expect((await me(key)).body.scopes).toEqual(["a", "b"]);
    await call(`/v1/keys/${apiKey.id}`, { method: "PATCH", body: { scopes: ["a"] } });
    expect((await me(key)).body.scopes).toEqual(["a"]);
  });

  it("refuses a revoked key on the next request even when a cache still holds it as active", async () => {
    const { key, apiKey } = await partnerWithKey();
    expect((await me(key)).status).toBe(200);
    const stale = await snapshotOfCache(apiKey.id);
    await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST" });
    await restoreStaleCopy(apiKey.id, stale);
    expect((await me(key)).status).toBe(401);
  });

  it("after rotation, accepts the new secret and refuses the old one even from a stale cache", async () => {
    const { key: old, apiKey } = await partnerWithKey();
    expect((await me(old)).status).toBe(200);
    const stale = await snapshotOfCache(apiKey.id);
    const fresh = (await call(`/v1/keys/${apiKey.id}/rotate`, { method: "POST" })).body.key;
    await restoreStaleCopy(apiKey.id, stale);
    expect((await me(old)).status).toBe(401);
    await restoreStaleCopy(apiKey.id, stale);
    expect((await me(fresh)).status).toBe(200);
  });

  it("refuses a suspended partner's keys at once, even from a stale cache, and accepts them after reactivation", async () => {
    const p = await createPartner();
    const a = await createKey(p.id);
    const b = await createKey(p.id);
    expect((await me(a.key)).status).toBe(200);
    expect((await me(b.key)).status).toBe(200);
    const stale = await snapshotOfCache(a.api_key.id);
    await call(`/v1/partners/${p.id}`, { method: "PATCH", body: { status: "suspended" } });
    await restoreStaleCopy(a.api_key.id, stale);
    expect((await me(a.key)).status).toBe(401);
    expect((await me(b.key)).status).toBe(401);
    await call(`/v1/partners/${p.id}`, { method: "PATCH", body: { status: "active" } });
    expect((await me(a.key)).status).toBe(200);
    expect((await me(b.key)).status).toBe(200);
  });

  it("applies a partner tier change to its keys on the next request", async () => {
    const p = await createPartner({ rate_limit_tier: "tiny" });
    const { key } = await createKey(p.id);
    expect((await me(key)).headers.get("ratelimit-limit")).toBe("5");
    await call(`/v1/partners/${p.id}`, { method: "PATCH", body: { rate_limit_tier: "premium" } });
    expect((await me(key)).headers.get("ratelimit-limit")).toBe("20000");
  });

  it("rebuilds a lost KV entry from D1", async () => {
    const { key, apiKey } = await partnerWithKey();
    await env.KEY_CACHE.delete(`key:${apiKey.id}`);
    dropIsolateCache();
    expect((await me(key)).status).toBe(200);
    expect(await env.KEY_CACHE.get(`key:${apiKey.id}`)).not.toBeNull();
  });
});
