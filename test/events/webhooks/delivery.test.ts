import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { createExecutionContext, createScheduledController, runDurableObjectAlarm } from "cloudflare:test";
import { guardOf } from "../../../src/limiter/client";
import { useClock } from "../../../src/lib/clock";
import { manualClock } from "../../clock";
import worker from "../../../src/index";
import { call, createKey, createPartner, env, me } from "../../helpers";
import { newReporter, report } from "../leaks/reporter";
import { partnerWithWebhook, receivedUntil, receiverPath, type Received } from "./helpers";

const verified = (secret: string, r: Received) => new Webhook(secret).verify(r.body, r.headers) as { type: string; timestamp: string; data: any };

describe("webhook delivery through the real queue", () => {
  it("a receiver on loopback gets each subscribed event once, signed as Standard Webhooks says, with the API's own serialization", async () => {
    const types = ["key.created", "key.updated", "key.rotated", "key.revoked", "partner.updated", "partner.suspended"];
    const { partner, webhook, secret, path } = await partnerWithWebhook(types);
    const { api_key } = await createKey(partner.id);
    expect((await call(`/v1/keys/${api_key.id}`, { method: "PATCH", body: { name: "renamed" } })).status).toBe(200);
    expect((await call(`/v1/keys/${api_key.id}/rotate`, { body: { grace_period_seconds: 0 } })).status).toBe(200);
    expect((await call(`/v1/keys/${api_key.id}/revoke`, { method: "POST" })).status).toBe(200);
    expect((await call(`/v1/partners/${partner.id}`, { method: "PATCH", body: { status: "suspended" } })).status).toBe(200);

    const list = await receivedUntil(path, (l) => l.length >= types.length);
    const bodies = list.map((r) => verified(secret, r));
    expect(bodies.map((b) => b.type).sort()).toEqual([...types].sort());
    // The webhook-id is the event's id: distinct per event.
    expect(new Set(list.map((r) => r.headers["webhook-id"])).size).toBe(types.length);
    const created = bodies.find((b) => b.type === "key.created")!;
    expect(created.data.api_key).toMatchObject({ id: api_key.id, partner_id: partner.id, last_four: api_key.last_four });
    expect(JSON.stringify(bodies)).not.toMatch(/secret_hash|"key":/);
    expect(bodies.find((b) => b.type === "partner.suspended")!.data.partner).toMatchObject({ id: partner.id, status: "suspended" });
    // Once each: the log holds one delivered first attempt per event, and nothing else.
    const log = (await call(`/v1/webhooks/${webhook.id}/deliveries`)).body.data as { attempt: number; status: string; type: string }[];
    expect(log.map((d) => [d.type, d.attempt, d.status]).sort()).toEqual([...types].sort().map((t) => [t, 1, "delivered"]));
  }, 60_000);
});

describe("secret rotation", () => {
  it("for 24 hours after a rotation both secrets sign each delivery; after them only the new one does", async () => {
    const { partner, webhook, secret: before, path } = await partnerWithWebhook(["key.created"]);
    const after = (await call(`/v1/webhooks/${webhook.id}/rotate-secret`, { method: "POST" })).body.secret as string;
    await createKey(partner.id);
    const [during] = await receivedUntil(path, (l) => l.length >= 1);
    expect(during!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    for (const s of [before, after]) expect(verified(s, during!).type).toBe("key.created");
    // The 24 hours pass (the window's end is data: the consumer reads its own clock).
    await env.DB.prepare("UPDATE webhooks SET previous_secret_expires_at = ?2 WHERE id = ?1").bind(webhook.id, new Date(Date.now() - 1_000).toISOString()).run();
    await createKey(partner.id);
    const last = (await receivedUntil(path, (l) => l.length >= 2))[1]!;
    expect(last.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    expect(verified(after, last).type).toBe("key.created");
    expect(() => verified(before, last)).toThrow();
  }, 60_000);
});

describe("events no caller's change makes reach their endpoints too", () => {
  it("a signed leak report: key.leaked with its source and key.revoked, each once", async () => {
    const { partner, secret, path } = await partnerWithWebhook(["key.leaked", "key.revoked"]);
    const { key, api_key } = await createKey(partner.id);
    const reporter = await newReporter();
    const res = await report([{ token: key, type: "keyward_secret_key", url: "https://github.com/x/y/blob/main/a.env", source: "content" }], { signedBy: reporter });
    expect(res.body[0].label).toBe("true_positive");
    const list = await receivedUntil(path, (l) => l.length >= 2);
    const bodies = list.map((r) => verified(secret, r));
    expect(bodies.map((b) => b.type).sort()).toEqual(["key.leaked", "key.revoked"]);
    expect(bodies.find((b) => b.type === "key.leaked")!.data).toMatchObject({ api_key: { id: api_key.id }, source: "content", revoked: true });
    expect(JSON.stringify(bodies)).not.toContain(key);
  }, 60_000);

  it("key.expiring from the cron: the 7-day reminder, with the key and the stage", async () => {
    const { partner, secret, path } = await partnerWithWebhook(["key.expiring"]);
    const expiresAt = new Date(Date.now() + 6 * 86_400_000).toISOString();
    const { api_key } = await createKey(partner.id, { expires_at: expiresAt });
    await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, createExecutionContext());
    const [first] = await receivedUntil(path, (l) => l.length >= 1);
    expect(verified(secret, first!)).toMatchObject({ type: "key.expiring", data: { api_key: { id: api_key.id }, days: 7 } });
  }, 60_000);
});

describe("every event type reaches an operator endpoint", () => {
  it("partner.created, credits.low, rate_limit.exceeded and key.expired: each once, for its own partner", async () => {
    const types = ["partner.created", "credits.low", "rate_limit.exceeded", "key.expired"];
    const target = receiverPath();
    const created = await call("/v1/webhooks", { body: { url: target.url, events: types } });
    expect(created.status).toBe(201);
    try {
      const partner = await createPartner();
      // credits.low: 10 set by the operator, 9 spent leaves 1 (≤ 10%).
      const spender = await createKey(partner.id, { credits_remaining: 10 });
      for (let i = 0; i < 9; i++) expect((await me(spender.key)).status).toBe(200);
      // rate_limit.exceeded: the tiny tier's sixth request in a window.
      const busy = await createKey(partner.id, { rate_limit_tier: "tiny" });
      for (let i = 0; i < 6; i++) await me(busy.key);
      // The guards' notices ride their usage flush (their alarm).
      for (const id of [spender.api_key.id, busy.api_key.id]) await runDurableObjectAlarm(guardOf(env, id));
      // key.expired: the cron, run as if the key's expiry had passed.
      const expiring = await createKey(partner.id, { expires_at: new Date(Date.now() + 60_000).toISOString() });
      manualClock().advance(120_000);
      await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, createExecutionContext());
      useClock(null);

      const mine = (l: Received[]) => l.map((r) => verified(created.body.secret, r)).filter((b) => (b.data.partner ?? b.data.api_key)?.partner_id === partner.id || b.data.partner?.id === partner.id);
      const list = mine(await receivedUntil(target.path, (l) => mine(l).length >= types.length));
      expect(list.map((b) => b.type).sort()).toEqual([...types].sort());
      expect(list.find((b) => b.type === "credits.low")!.data).toMatchObject({ api_key: { id: spender.api_key.id }, credits_remaining: 1 });
      expect(list.find((b) => b.type === "rate_limit.exceeded")!.data).toMatchObject({ api_key: { id: busy.api_key.id }, limit: 5, name: "tiny" });
      expect(list.find((b) => b.type === "key.expired")!.data.api_key.id).toBe(expiring.api_key.id);
    } finally {
      await call(`/v1/webhooks/${created.body.webhook.id}`, { method: "DELETE" });
    }
  }, 60_000);
});
