import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import worker from "../../../src/index";
import { SWEEP_MIN_AGE_MS } from "../../../src/events/sweep";
import { useClock } from "../../../src/lib/clock";
import { callWith } from "../../hardening/faulty-env";
import { manualClock } from "../../clock";
import { ADMIN, call, createKey, env, eventually } from "../../helpers";
import { partnerWithWebhook, received, receivedUntil } from "./helpers";

/** The endpoint's delivery log once `done` holds (polled: the queue delivers on its own schedule). */
async function logUntil(webhookId: string, done: (rows: any[]) => boolean, within = 40_000): Promise<any[]> {
  const deadline = Date.now() + within;
  for (;;) {
    const rows = (await call(`/v1/webhooks/${webhookId}/deliveries?limit=100`)).body.data as any[];
    if (done(rows) || Date.now() > deadline) return rows;
    await scheduler.wait(200);
  }
}

describe("webhook retries (WEBHOOK_RETRY_DELAYS=1,1,1 in the tests)", () => {
  it("a receiver that fails twice gets the event on the third attempt, with the same webhook-id and a fresh valid signature each time", async () => {
    const { partner, webhook, secret, path } = await partnerWithWebhook(["key.created"], { fail: 2 });
    await createKey(partner.id);
    const list = await receivedUntil(path, (l) => l.length >= 3, 40_000);
    expect(list.map((r) => r.status)).toEqual([500, 500, 204]);
    expect(new Set(list.map((r) => r.headers["webhook-id"])).size).toBe(1);
    for (const r of list) expect(new Webhook(secret).verify(r.body, r.headers)).toMatchObject({ type: "key.created" });
    const log = await logUntil(webhook.id, (rows) => rows.some((r) => r.status === "delivered"));
    // Newest first: the delivered third attempt, then the two failures, each naming when the next came.
    expect(log.map((r) => [r.attempt, r.status, r.status_code])).toEqual([
      [3, "delivered", 204],
      [2, "failed", 500],
      [1, "failed", 500],
    ]);
    expect(log[1].next_retry_at).toBe(log[0].scheduled_at);
    expect(log[0].next_retry_at).toBeNull();
    // Only an excerpt of the receiver's answer is kept.
    expect(log[1].response_excerpt.length).toBeLessThanOrEqual(256);
  }, 60_000);

  it("after the last delay the event is marked failed: no attempt follows the fourth", async () => {
    const { partner, webhook, path } = await partnerWithWebhook(["key.created"], { fail: 100 });
    await createKey(partner.id);
    const log = await logUntil(webhook.id, (rows) => rows.length >= 4 && rows.every((r) => r.status === "failed"));
    expect(log.map((r) => r.attempt)).toEqual([4, 3, 2, 1]);
    expect(log[0].next_retry_at).toBeNull();
    expect((await received(path)).length).toBe(4);
    expect((await env.DB.prepare("SELECT failing_since FROM webhooks WHERE id = ?1").bind(webhook.id).first<{ failing_since: string }>())!.failing_since).not.toBeNull();
  }, 60_000);

  it("a redirect is a failed attempt and is never followed", async () => {
    const { partner, webhook } = await partnerWithWebhook(["key.created"]);
    await call(`/v1/webhooks/${webhook.id}`, { method: "PATCH", body: { url: webhook.url.replace(/\/hooks\/.*/, "/redirect") } });
    await createKey(partner.id);
    const log = await logUntil(webhook.id, (rows) => rows.length > 0 && rows.at(-1).status === "failed");
    expect(log.at(-1)).toMatchObject({ attempt: 1, status_code: 302, error: "redirect", ok: false });
  }, 60_000);

  it("an endpoint failing for five days is disabled by its next failure, with a webhook.disabled audit event", async () => {
    const { partner, webhook } = await partnerWithWebhook(["key.created"], { fail: 100 });
    await env.DB.prepare("UPDATE webhooks SET failing_since = ?2 WHERE id = ?1").bind(webhook.id, new Date(Date.now() - 5 * 86_400_000 - 60_000).toISOString()).run();
    await createKey(partner.id);
    const log = await logUntil(webhook.id, (rows) => rows.some((r) => r.status === "failed"));
    expect(log).toHaveLength(1);
    const hook = (await call(`/v1/webhooks/${webhook.id}`)).body;
    expect(hook.status).toBe("disabled");
    expect(hook.disabled_reason).toMatch(/5 days/);
    const audit = (await call(`/v1/partners/${partner.id}/audit-events`)).body.data;
    expect(audit[0]).toMatchObject({ action: "webhook.disabled", actor: "keyward", target_id: webhook.id });
    // Re-enabling clears the record: the endpoint gets its full grace again.
    expect((await call(`/v1/webhooks/${webhook.id}`, { method: "PATCH", body: { status: "enabled" } })).body).toMatchObject({ status: "enabled", disabled_reason: null });
  }, 60_000);

  it("redeliver sends the same event again as the next attempt; a second one while it is pending is 409", async () => {
    const { partner, webhook, secret, path } = await partnerWithWebhook(["key.created"]);
    await createKey(partner.id);
    const [first] = await logUntil(webhook.id, (rows) => rows[0]?.status === "delivered");
    const again = await call(`/v1/webhooks/${webhook.id}/deliveries/${first.id}/redeliver`, { method: "POST" });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ attempt: 2, event_id: first.event_id, type: "key.created" });
    expect((await call(`/v1/partners/${partner.id}/audit-events`)).body.data[0]).toMatchObject({ action: "webhook.redelivered", target_id: webhook.id });
    const list = await receivedUntil(path, (l) => l.length >= 2);
    expect(list.map((r) => r.headers["webhook-id"])).toEqual([first.event_id, first.event_id]);
    expect(new Webhook(secret).verify(list[1]!.body, list[1]!.headers)).toMatchObject({ type: "key.created" });
  }, 60_000);
});

describe("never lost between the commit and the queue", () => {
  it("an event whose queue send failed after the commit is sent by the sweep, and delivered", async () => {
    const { partner, path } = await partnerWithWebhook(["key.created"]);
    const res = await callWith({ queue: "down" }, `/v1/partners/${partner.id}/keys`, { auth: ADMIN, body: { name: "x", type: "secret" } });
    expect(res.status).toBe(201);
    const event = await env.DB.prepare("SELECT id, dispatched_at FROM events WHERE subject_id = ?1 AND type = 'key.created'")
      .bind(res.body.api_key.id)
      .first<{ id: string; dispatched_at: string | null }>();
    expect(event!.dispatched_at).toBeNull();
    // The cron, run as if 30 s had passed (its minimum age), finds it.
    const clock = manualClock();
    clock.advance(SWEEP_MIN_AGE_MS + 1_000);
    await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, createExecutionContext());
    useClock(null);
    const list = await receivedUntil(path, (l) => l.length >= 1);
    expect(list.map((r) => r.headers["webhook-id"])).toEqual([event!.id]);
  }, 60_000);

  it("an event whose dispatch message was lost or dead-lettered stays unfanned, and the sweep sends it again", async () => {
    const { partner, path } = await partnerWithWebhook(["key.created"]);
    const { api_key } = await createKey(partner.id);
    const event = await env.DB.prepare("SELECT id FROM events WHERE subject_id = ?1 AND type = 'key.created'").bind(api_key.id).first<{ id: string }>();
    // The fan-out is the only mark: a consumer that failed until its message dead-lettered leaves
    // the event as the request left it, seen here by taking the first delivery back out.
    await eventually(() => received(path), (l) => l.length >= 1);
    await env.DB.batch([
      env.DB.prepare("UPDATE events SET dispatched_at = NULL WHERE id = ?1").bind(event!.id),
      env.DB.prepare("DELETE FROM webhook_deliveries WHERE event_id = ?1").bind(event!.id),
    ]);
    const clock = manualClock();
    clock.advance(SWEEP_MIN_AGE_MS + 1_000);
    await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, createExecutionContext());
    useClock(null);
    const list = await receivedUntil(path, (l) => l.length >= 2);
    expect(list.map((r) => r.headers["webhook-id"])).toEqual([event!.id, event!.id]);
  }, 60_000);
});
