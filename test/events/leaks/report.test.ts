import { describe, expect, it } from "vitest";
import { mintKey } from "../../../src/keys/crypto";
import { call, createKey, createPartner, env, me, storageCalls } from "../../helpers";
import { auditOf, eventsOf, newReporter, report, sha256Hex } from "./reporter";
import { manualClock } from "../../clock";

const item = (token: string, type = "keyward_secret_key") => ({ token, type, url: "https://github.com/acme/app/blob/main/.env", source: "content" });

describe("POST /v1/leaks: a signed report", () => {
  it("revokes a leaked secret key: the next request with it is 401, and the answer is GitHub's format without the token", async () => {
    const reporter = await newReporter();
    const partner = await createPartner();
    const { key, api_key } = await createKey(partner.id);
    expect((await me(key)).status).toBe(200);

    const res = await report([item(key)], { signedBy: reporter });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual([{ token_hash: await sha256Hex(key), token_type: "keyward_secret_key", label: "true_positive" }]);
    expect(res.text).not.toContain(key);
    expect(res.text).not.toContain(key.slice(22, 46));

    const next = await me(key);
    expect([next.status, next.body.code]).toEqual([401, "invalid_api_key"]);
    const stored = (await call(`/v1/keys/${api_key.id}`)).body;
    expect(stored).toMatchObject({ status: "revoked", revoked_by: "leak_report", leaked_at: expect.any(String) });
    expect(stored.revoked_at).toBe(stored.leaked_at);
  });

  it("records key.leaked with {source, url, revoked: true}, then key.revoked, both audited as the leak report", async () => {
    const reporter = await newReporter();
    const { key, api_key } = await createKey((await createPartner()).id);
    await report([item(key)], { signedBy: reporter });
    const events = await eventsOf(api_key.id);
    expect(events.map((e) => e.type)).toEqual(["key.created", "key.leaked", "key.revoked"]);
    expect(events[1]!.payload.data).toEqual({ source: "content", url: "https://github.com/acme/app/blob/main/.env", signed: true, revoked: true });
    expect(events.every((e) => e.reacted_at !== null)).toBe(true);
    expect(await auditOf(api_key.id)).toEqual([
      { action: "key.created", actor: "operator" },
      { action: "key.leaked", actor: "leak_report" },
      { action: "key.revoked", actor: "leak_report" },
    ]);
    const audit = (await call(`/v1/partners/${api_key.partner_id}/audit-events`)).body.data.map((e: { action: string }) => e.action);
    expect(audit.slice(0, 2)).toEqual(["key.revoked", "key.leaked"]);
  });

  it("only flags the keys of a partner whose leak_action is notify", async () => {
    const reporter = await newReporter();
    const partner = await createPartner({ leak_action: "notify" });
    const { key, api_key } = await createKey(partner.id);
    const res = await report([item(key)], { signedBy: reporter });
    expect(res.body[0].label).toBe("true_positive");
    expect((await me(key)).status).toBe(200);
    expect((await call(`/v1/keys/${api_key.id}`)).body).toMatchObject({ status: "active", leaked_at: expect.any(String) });
    const leaked = (await eventsOf(api_key.id)).filter((e) => e.type === "key.leaked");
    expect(leaked.map((e) => e.payload.data.revoked)).toEqual([false]);
  });

  it("never revokes a publishable key, which is public by design", async () => {
    const reporter = await newReporter();
    const partner = await createPartner();
    const { key, api_key } = await createKey(partner.id, { type: "publishable", allowed_origins: ["https://shop.example"] });
    const res = await report([item(key, "keyward_publishable_key")], { signedBy: reporter });
    expect(res.body).toEqual([{ token_hash: await sha256Hex(key), token_type: "keyward_publishable_key", label: "true_positive" }]);
    expect((await call(`/v1/keys/${api_key.id}`)).body).toMatchObject({ status: "active", leaked_at: expect.any(String) });
    expect((await me(key, { origin: "https://shop.example" })).status).toBe(200);
  });

  it("labels an already revoked key true_positive and flags it, with no second revocation", async () => {
    const reporter = await newReporter();
    const { key, api_key } = await createKey((await createPartner()).id);
    await call(`/v1/keys/${api_key.id}/revoke`, { method: "POST" });
    const res = await report([item(key)], { signedBy: reporter });
    expect(res.body[0].label).toBe("true_positive");
    expect((await call(`/v1/keys/${api_key.id}`)).body).toMatchObject({ status: "revoked", revoked_by: "operator", leaked_at: expect.any(String) });
    expect((await eventsOf(api_key.id)).map((e) => e.type)).toEqual(["key.created", "key.revoked", "key.leaked"]);
  });

  it("revokes the key when the leaked secret is the previous one, still open in its rotation grace period", async () => {
    const reporter = await newReporter();
    const { key, api_key } = await createKey((await createPartner()).id);
    const rotated = await call(`/v1/keys/${api_key.id}/rotate`, { body: { grace_period_seconds: 3600 } });
    expect(rotated.status).toBe(200);
    expect((await report([item(key)], { signedBy: reporter })).body[0].label).toBe("true_positive");
    expect((await me(key)).status).toBe(401);
    expect((await me(rotated.body.key)).status).toBe(401);
  });

  it("labels a previous secret past its grace period true_positive, but does not revoke the key it no longer opens", async () => {
    const reporter = await newReporter();
    const { key, api_key } = await createKey((await createPartner()).id);
    const rotated = await call(`/v1/keys/${api_key.id}/rotate`, { body: { grace_period_seconds: 3600 } });
    // The grace period over, as the clock would make it.
    await env.DB.prepare("UPDATE api_keys SET previous_expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?1").bind(api_key.id).run();
    const res = await report([item(key)], { signedBy: reporter });
    expect(res.body[0].label).toBe("true_positive");
    expect((await me(rotated.body.key)).status).toBe(200);
    expect((await call(`/v1/keys/${api_key.id}`)).body).toMatchObject({ status: "active", leaked_at: expect.any(String) });
  });

  it("accepts GitHub's /meta/public_keys answer pasted whole as LEAK_REPORT_PUBLIC_KEYS", async () => {
    const reporter = await newReporter();
    const keys = JSON.stringify({ public_keys: JSON.parse(reporter.config).map((k: object) => ({ ...k, is_current: true })) });
    const { key } = await createKey((await createPartner()).id);
    const res = await report([item(key)], { signedBy: reporter, keys });
    expect(res.status, res.text).toBe(200);
    expect((await me(key)).status).toBe(401);
  });
});

describe("POST /v1/leaks: keys issued before checksums", () => {
  it("a leaked old-format key (no checksum) is found by its tag and revoked like any other", async () => {
    const reporter = await newReporter();
    const { api_key } = await createKey((await createPartner()).id);
    // The row as the code before checksums wrote it: same id, a legacy key's digest.
    const old = await mintKey(env.KEY_PEPPER!, "kw", "secret", api_key.id.slice(4), "legacy");
    await env.DB.prepare("UPDATE api_keys SET secret_hash = ?2 WHERE id = ?1").bind(api_key.id, old.hash).run();
    expect((await me(old.full)).status).toBe(200);
    const res = await report([item(old.full)], { signedBy: reporter });
    expect(res.body).toEqual([{ token_hash: await sha256Hex(old.full), token_type: "keyward_secret_key", label: "true_positive" }]);
    expect((await me(old.full)).status).toBe(401);
  });
});

describe("POST /v1/leaks: an unsigned report", () => {
  it("only flags: the key keeps working, leaked_at is set and key.leaked says revoked: false", async () => {
    const { key, api_key } = await createKey((await createPartner()).id);
    const res = await report([item(key)]);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual([{ token_hash: await sha256Hex(key), token_type: "keyward_secret_key", label: "true_positive" }]);
    expect((await me(key)).status).toBe(200);
    const stored = (await call(`/v1/keys/${api_key.id}`)).body;
    expect(stored).toMatchObject({ status: "active", revoked_at: null, leaked_at: expect.any(String) });
    const events = await eventsOf(api_key.id);
    expect(events.map((e) => [e.type, e.payload.data?.revoked])).toEqual([["key.created", undefined], ["key.leaked", false]]);
    // The reporter is unknown: its words (url, source) reach no partner.
    expect(events[1]!.payload.data).toEqual({ source: null, url: null, signed: false, revoked: false });
    expect(await auditOf(api_key.id)).toContainEqual({ action: "key.leaked", actor: "leak_report" });
  });

  it("learns no more than GET /v1/me/key would: a revoked or expired key is false_positive and nothing is written", async () => {
    const clock = manualClock();
    const partner = await createPartner();
    const revoked = await createKey(partner.id);
    await call(`/v1/keys/${revoked.api_key.id}/revoke`, { method: "POST" });
    const expiring = await createKey(partner.id, { expires_at: new Date(clock.now() + 60_000).toISOString() });
    clock.advance(120_000);
    const res = await report([item(revoked.key), item(expiring.key)]);
    expect(res.body.map((v: { label: string }) => v.label)).toEqual(["false_positive", "false_positive"]);
    for (const k of [revoked, expiring]) expect((await eventsOf(k.api_key.id)).map((e) => e.type)).not.toContain("key.leaked");
    // A signed report still names them: GitHub is told the truth about real secrets.
    const signed = await report([item(revoked.key)], { signedBy: await newReporter() });
    expect(signed.body[0].label).toBe("true_positive");
  });

  it("a repeated report answers true_positive again without a second event; a later signed one still revokes", async () => {
    const reporter = await newReporter();
    const { key, api_key } = await createKey((await createPartner()).id);
    await report([item(key)]);
    const flaggedAt = (await call(`/v1/keys/${api_key.id}`)).body.leaked_at;
    expect((await report([item(key), item(key)])).body).toEqual([expect.objectContaining({ label: "true_positive" })]);
    expect((await eventsOf(api_key.id)).map((e) => e.type)).toEqual(["key.created", "key.leaked"]);
    await report([item(key)], { signedBy: reporter });
    expect((await me(key)).status).toBe(401);
    const stored = (await call(`/v1/keys/${api_key.id}`)).body;
    expect(stored).toMatchObject({ status: "revoked", leaked_at: flaggedAt });
    expect((await eventsOf(api_key.id)).map((e) => e.type)).toEqual(["key.created", "key.leaked", "key.leaked", "key.revoked"]);
  });

  it("dedupes a token repeated in one report: one verdict, one event", async () => {
    const { key, api_key } = await createKey((await createPartner()).id);
    const res = await report([item(key), item("noise"), item(key)]);
    expect(res.body.map((v: { label: string }) => v.label)).toEqual(["true_positive", "false_positive"]);
    expect((await eventsOf(api_key.id)).filter((e) => e.type === "key.leaked")).toHaveLength(1);
  });
});

describe("POST /v1/leaks: noise", () => {
  it("labels forged, mistyped and foreign tokens false_positive without a single storage call", async () => {
    const { key } = await createKey((await createPartner()).id);
    const tokens = [
      "ghp_000000000000000000000000000000000000",
      `kw_sk_${"a".repeat(52)}`, // no valid checksum
      (await mintKey("someone-elses-pepper", "kw", "secret")).full, // valid checksum, forged tag
      key.slice(0, 30) + (key[30] === "a" ? "b" : "a") + key.slice(31), // a typo
      `xx${key.slice(2)}`, // another deployment's prefix
      "",
    ].filter(Boolean);
    const res = await report(tokens.map((t) => item(t)));
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual(await Promise.all(tokens.map(async (t) => ({ token_hash: await sha256Hex(t), token_type: "keyward_secret_key", label: "false_positive" }))));
    expect(storageCalls(res)).toEqual({});
  });

  it("labels a well-tagged token whose secret is not the key's false_positive, and changes nothing", async () => {
    const { key, api_key } = await createKey((await createPartner()).id);
    const impostor = await mintKey(env.KEY_PEPPER!, "kw", "secret", api_key.id.slice(4));
    const res = await report([item(impostor.full)]);
    expect(res.body[0].label).toBe("false_positive");
    expect((await call(`/v1/keys/${api_key.id}`)).body.leaked_at).toBeNull();
    expect((await me(key)).status).toBe(200);
  });
});
