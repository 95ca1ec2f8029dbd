import { describe, expect, it } from "vitest";
import { dropIsolateCache } from "../../src/cache/key-records";
import { call, createPartner, createKey, env, me, partnerWithKey } from "../helpers";


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
    const row = async (keyId: string) =>
      (await env.DB.prepare("SELECT version, name, secret_hash, previous_secret_hash, revoked_at FROM api_keys WHERE id = ?1")
        .bind(keyId)
        .first<{ version: number; name: string; secret_hash: string; previous_secret_hash: string | null; revoked_at: string | null }>())!;
    /** KV's copy is D1's row as it stands after the mutation (no request in between could have refilled it). */
    const expectCacheToMatchD1 = async (keyId: string, after: string) => {
      const cached = JSON.parse(await snapshotOfCache(keyId)).key;
      const stored = await row(keyId);
      expect(cached, after).toMatchObject(stored);
      return cached;
    };

    // create
    const { apiKey } = await partnerWithKey();
    const created = await expectCacheToMatchD1(apiKey.id, "create");
    expect(created).toMatchObject({ name: "test key", revoked_at: null, previous_secret_hash: null });

    // PATCH
    expect((await call(`/v1/keys/${apiKey.id}`, { method: "PATCH", body: { name: "renamed" } })).status).toBe(200);
    const patched = await expectCacheToMatchD1(apiKey.id, "PATCH");
    expect(patched.name).toBe("renamed");
    expect(patched.version).toBeGreaterThan(created.version);

    // rotate (with grace, so the old hash is kept as the previous one)
    expect((await call(`/v1/keys/${apiKey.id}/rotate`, { body: { grace_period_seconds: 60 } })).status).toBe(200);
    const rotated = await expectCacheToMatchD1(apiKey.id, "rotate");
    expect(rotated.secret_hash).not.toBe(patched.secret_hash);
    expect(rotated.previous_secret_hash).toBe(patched.secret_hash);
    expect(rotated.version).toBeGreaterThan(patched.version);

    // revoke
    expect((await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST" })).status).toBe(200);
    const revoked = await expectCacheToMatchD1(apiKey.id, "revoke");
    expect(revoked.revoked_at).toEqual(expect.any(String));
    expect(revoked.version).toBeGreaterThan(rotated.version);
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
