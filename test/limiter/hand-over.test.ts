import { describe, expect, it } from "vitest";
import { guardOf, poolOf } from "../../src/limiter/client";
import { isPooled, versionOf } from "../../src/limiter/policy";
import { createKey, createPartner, env, eventually, me } from "../helpers";
import { admitted, balanceOf, patchPartner, record, settles } from "./hand-over-helpers";
import { tapHandOffs } from "./intercept";

/**
 * A key's budget moving between its own guard and its partner's pool while the partner flips its
 * pooling twice within one take (DESIGN §10): each object takes for the record version it read,
 * and the other must answer at once, whatever it is doing itself.
 */

const partnerVersion = async (keyId: string) => (await record(keyId)).partner.version;

describe("a key's budget handed over while its partner flips pooling twice", () => {
  it("answers every request when the pool takes for the older version while the guard takes back for the newer (key → partner → key)", async () => {
    const partner = await createPartner();
    const { key, api_key: apiKey } = await createKey(partner.id, { credits_remaining: 10 });
    const keyId = apiKey.id;
    // The guard decides the key and holds its budget: 9 left, not yet flushed.
    expect((await me(key)).status).toBe(200);
    expect((await patchPartner(partner.id, { rate_limit_scope: "partner" })).status).toBe(200);
    const pooledAt = versionOf(await record(keyId));

    const pool = await tapHandOffs(poolOf(env, partner.id));
    const guard = await tapHandOffs(guardOf(env, keyId));
    // A request holding the pooled record makes the pool take the budget; its call is held once sent.
    pool.hold();
    const older = admitted(keyId, partner.id, pooledAt, true);
    expect(await pool.sent()).toBe(pooledAt.partner);
    // The partner stops pooling meanwhile; the guard takes the budget back for that newer version.
    const unpooling = patchPartner(partner.id, { rate_limit_scope: "key" });
    await eventually(() => partnerVersion(keyId), (v) => v > pooledAt.partner);
    const unpooledAt = versionOf(await record(keyId));
    const newer = admitted(keyId, partner.id, unpooledAt, false);
    expect(await guard.sent()).toBe(unpooledAt.partner);
    pool.release();

    const [olderVerdict, newerVerdict, patched] = await settles("both takes", Promise.all([older, newer, unpooling]));
    // The guard, taking for the newer version, refused the pool's take: the older request was
    // stale, and once reloaded admitted by the guard; the pool gave nothing back, never having held it.
    expect(pool.answers[0]).toEqual({ superseded: unpooledAt.partner });
    expect(olderVerdict).toMatchObject({ first: "stale", outcome: "ok" });
    expect(newerVerdict).toMatchObject({ first: "ok", outcome: "ok" });
    expect(guard.answers.every((a) => a === null)).toBe(true);
    expect(patched.status).toBe(200);
    // 1 before, 2 now, all from the one balance of 10.
    expect(await balanceOf(key)).toBe(7);
  });

  it("answers every request when the guard takes back for the older version while the pool takes for the newer (partner → key → partner)", async () => {
    const partner = await createPartner();
    const { key, api_key: apiKey } = await createKey(partner.id, { credits_remaining: 10 });
    const keyId = apiKey.id;
    expect((await me(key)).status).toBe(200);
    expect((await patchPartner(partner.id, { rate_limit_scope: "partner" })).status).toBe(200);
    // The pool takes the budget and spends from it.
    expect((await me(key)).status).toBe(200);

    const pool = await tapHandOffs(poolOf(env, partner.id));
    const guard = await tapHandOffs(guardOf(env, keyId));
    // The partner stops pooling: the guard takes the budget back (the PATCH's own reaction asks it), its call held once sent.
    guard.hold();
    const unpooling = patchPartner(partner.id, { rate_limit_scope: "key" });
    const unpooledAt = await guard.sent();
    // And pools again: a request holding that record makes the pool take the budget for the newer version.
    const repooling = patchPartner(partner.id, { rate_limit_scope: "partner" });
    await eventually(() => partnerVersion(keyId), (v) => v > unpooledAt);
    const pooledAt = versionOf(await record(keyId));
    expect(isPooled((await record(keyId)).partner)).toBe(true);
    const newer = admitted(keyId, partner.id, pooledAt, true);
    expect(await pool.sent()).toBe(pooledAt.partner);
    guard.release();

    const [newerVerdict, ...patched] = await settles("both takes", Promise.all([newer, unpooling, repooling]));
    // The pool, taking for the newer version, refused the guard's take; the guard then answered the
    // pool's (with its own older copy: the pool kept the one it had spent from, ./budget.ts).
    expect(guard.answers[0]).toEqual({ superseded: pooledAt.partner });
    expect(pool.answers).toHaveLength(1);
    expect(pool.answers[0]).toHaveProperty("credits");
    expect(newerVerdict).toMatchObject({ first: "ok", outcome: "ok" });
    expect(patched.map((p) => p.status)).toEqual([200, 200]);
    expect(await balanceOf(key)).toBe(7);
  });

  it("answers a request through the Worker whose freshly read record lost the hand-over, after one more reload", async () => {
    const partner = await createPartner();
    const { key, api_key: apiKey } = await createKey(partner.id, { credits_remaining: 10 });
    expect((await me(key)).status).toBe(200);
    expect((await patchPartner(partner.id, { rate_limit_scope: "partner" })).status).toBe(200);
    const pool = await tapHandOffs(poolOf(env, partner.id));
    const guard = await tapHandOffs(guardOf(env, apiKey.id));
    // The request reads the pooled record (the PATCH dropped the cached one) and its pool's take is held.
    pool.hold();
    const request = me(key);
    await pool.sent();
    // The partner stops pooling; its reaction makes the guard take the budget back, for the newer version.
    const unpooling = patchPartner(partner.id, { rate_limit_scope: "key" });
    await guard.sent();
    pool.release();
    const [reply, patched] = await settles("the request and the flip", Promise.all([request, unpooling]));
    expect(pool.answers[0]).toHaveProperty("superseded");
    expect(reply.status, reply.text).toBe(200);
    expect(patched.status).toBe(200);
    expect(await balanceOf(key)).toBe(8);
  });
});
