import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { FIRST_RETRY_SECONDS, retryDelaySeconds } from "../../src/events/queue";
import { claimEvent } from "../../src/db/outbox";
import { CLAIM_MS, react } from "../../src/events/react";
import { OUTBOX_RETENTION_MS, SWEEP_MIN_AGE_MS, sweep } from "../../src/events/sweep";
import { manualClock } from "../clock";
import { callWith, faultyEnv, type Faults } from "../hardening/faulty-env";
import { ADMIN, call, createKey, createPartner, env } from "../helpers";

// After-commit reactions that failed are finished later, by the queue consumer or the cron sweep,
// with real bindings: the observable result (CORS registry, key refused, guard balance) is checked,
// not only the outbox row.

const origin = () => `https://${crypto.randomUUID()}.example`;

const preflight = (o: string) => call("/v1/me/key", { method: "OPTIONS", auth: null, headers: { origin: o, "access-control-request-method": "GET" } });

const eventRow = (subjectId: string, type: string) =>
  env.DB.prepare("SELECT id, reacted_at, attempts FROM events WHERE subject_id = ?1 AND type = ?2 ORDER BY seq DESC LIMIT 1")
    .bind(subjectId, type)
    .first<{ id: string; reacted_at: string | null; attempts: number }>();

/** A key PATCHed from origin `before` to `after` while `faults` hold: answered 503 propagation_pending, its event unreacted. */
async function failedOriginPatch(faults: Faults) {
  const [before, after] = [origin(), origin()];
  const partner = await createPartner();
  const { api_key } = await createKey(partner.id, { allowed_origins: [before] });
  const res = await callWith(faults, `/v1/keys/${api_key.id}`, { method: "PATCH", auth: ADMIN, body: { allowed_origins: [after] } });
  expect([res.status, res.body.code]).toEqual([503, "propagation_pending"]);
  const event = await eventRow(api_key.id, "key.updated");
  expect(event?.reacted_at).toBeNull();
  expect(event?.attempts).toBe(1);
  // The origin registry (KV) missed the change: the new origin is not yet allowed.
  expect((await preflight(after)).status).toBe(403);
  return { keyId: api_key.id, eventId: event!.id, before, after };
}

async function expectOriginsMoved(p: { before: string; after: string }) {
  expect((await preflight(p.after)).status, "the PATCHed origin").toBe(204);
  expect((await preflight(p.before)).status, "the origin the PATCH removed").toBe(403);
}

const runCron = async () => {
  await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, createExecutionContext());
};

describe("the cron sweep", () => {
  it("leaves events younger than 30 s to their request and the queue, then finishes one whose reactions failed (KV down, queue down)", async () => {
    const clock = manualClock();
    const failed = await failedOriginPatch({ kv: "down", queue: "down" });
    await runCron();
    expect((await eventRow(failed.keyId, "key.updated"))?.reacted_at, "not swept while young").toBeNull();

    clock.advance(SWEEP_MIN_AGE_MS + 1_000);
    await runCron();
    expect((await eventRow(failed.keyId, "key.updated"))?.reacted_at).not.toBeNull();
    await expectOriginsMoved(failed);
  });

  it("finishes a revocation whose reactions failed (KV and Durable Object down): the key is refused afterwards", async () => {
    const clock = manualClock();
    const partner = await createPartner();
    const { key, api_key } = await createKey(partner.id, { allowed_origins: [origin()] });
    expect((await call("/v1/me/key", { auth: key })).status).toBe(200);
    const res = await callWith({ kv: "down", do: "down", queue: "down" }, `/v1/keys/${api_key.id}/revoke`, { method: "POST", auth: ADMIN });
    expect([res.status, res.body.code]).toEqual([503, "propagation_pending"]);
    expect((await eventRow(api_key.id, "key.revoked"))?.reacted_at).toBeNull();

    clock.advance(SWEEP_MIN_AGE_MS + 1_000);
    await runCron();
    expect((await eventRow(api_key.id, "key.revoked"))?.reacted_at).not.toBeNull();
    const next = await call("/v1/me/key", { auth: key });
    expect([next.status, next.body.code]).toEqual([401, "invalid_api_key"]);
  });

  it("does not let an older balance overwrite a newer one: a retried event yields to a later PATCH that set credits", async () => {
    const clock = manualClock();
    const partner = await createPartner();
    const { key, api_key } = await createKey(partner.id, { credits_remaining: 100 });
    expect((await call("/v1/me/key", { auth: key })).status).toBe(200);
    const res = await callWith({ do: "down", queue: "down" }, `/v1/keys/${api_key.id}`, { method: "PATCH", auth: ADMIN, body: { credits_remaining: 40 } });
    expect(res.body.code).toBe("propagation_pending");
    expect((await call(`/v1/keys/${api_key.id}`, { method: "PATCH", body: { credits_remaining: 5 } })).status).toBe(200);

    clock.advance(SWEEP_MIN_AGE_MS + 1_000);
    expect((await sweep(env)).done).toBeGreaterThan(0);
    const verified = await call("/v1/keys/verify", { body: { key } });
    expect([verified.body.valid, verified.body.credits_remaining]).toEqual([true, 4]);
  });

  it("never gives back credits spent since: re-running an event whose balance the guard already took leaves the balance alone", async () => {
    const clock = manualClock();
    const partner = await createPartner();
    const { key, api_key } = await createKey(partner.id, { credits_remaining: 100, allowed_origins: [origin()] });
    expect((await call("/v1/me/key", { auth: key })).status).toBe(200);
    // KV down: the origin sync fails, the guard takes the new balance; the event stays unreacted.
    const res = await callWith({ kv: "down", queue: "down" }, `/v1/keys/${api_key.id}`, {
      method: "PATCH",
      auth: ADMIN,
      body: { credits_remaining: 50, allowed_origins: [origin()] },
    });
    expect([res.status, res.body.code]).toEqual([503, "propagation_pending"]);
    for (let i = 0; i < 10; i++) expect((await call("/v1/me/key", { auth: key })).status).toBe(200);
    const event = await eventRow(api_key.id, "key.updated");
    expect(await react(env, event!.id)).toBe(true);
    clock.advance(SWEEP_MIN_AGE_MS + 1_000);
    await runCron();
    const verified = await call("/v1/keys/verify", { body: { key, cost: 0 } });
    expect(verified.body.credits_remaining).toBe(40);
  });
});

describe("retention", () => {
  it("keeps a reacted event for 30 days, then the sweep deletes it; its audit event stays", async () => {
    const clock = manualClock();
    const partner = await createPartner();
    const created = await eventRow(partner.id, "partner.created");
    expect(created?.reacted_at).not.toBeNull();
    clock.advance(OUTBOX_RETENTION_MS - 60_000);
    await sweep(env);
    expect(await eventRow(partner.id, "partner.created"), "within 30 days").not.toBeNull();
    clock.advance(120_000);
    await sweep(env);
    expect(await eventRow(partner.id, "partner.created"), "after 30 days").toBeNull();
    const audit = await call(`/v1/partners/${partner.id}/audit-events`);
    expect(audit.body.data.map((e: { action: string }) => e.action)).toContain("partner.created");
  });
});

describe("claims", () => {
  it("one run at a time: a row claimed by a run in progress is left alone until its claim ends, then the sweep finishes it", async () => {
    const clock = manualClock();
    const failed = await failedOriginPatch({ kv: "down", queue: "down" });
    // A run that claimed the row and then hung (or was cut off).
    const at = clock.now();
    expect(await claimEvent(env.DB, failed.eventId, new Date(at).toISOString(), new Date(at + CLAIM_MS).toISOString())).not.toBeNull();
    expect(await react(env, failed.eventId), "a second run while the claim holds").toBe(true);
    expect((await eventRow(failed.keyId, "key.updated"))?.reacted_at, "nothing ran").toBeNull();
    clock.advance(SWEEP_MIN_AGE_MS + 1_000);
    await sweep(env);
    expect(await eventRow(failed.keyId, "key.updated"), "the sweep skips a claimed row").toMatchObject({ reacted_at: null, attempts: 2 });
    clock.advance(CLAIM_MS);
    await sweep(env);
    expect((await eventRow(failed.keyId, "key.updated"))?.reacted_at).not.toBeNull();
    await expectOriginsMoved(failed);
  });
});

describe("the queue consumer", () => {
  const batchFor = (eventId: string, attempts = 1) =>
    createMessageBatch("keyward-events", [{ id: "msg-1", timestamp: new Date(), attempts, body: { kind: "reactions", event_id: eventId } }]);

  it("re-runs the reactions of the event a message names, marks it and acks", async () => {
    const failed = await failedOriginPatch({ kv: "down", queue: "down" });
    const batch = batchFor(failed.eventId);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect([result.explicitAcks, result.retryMessages]).toEqual([["msg-1"], []]);
    expect((await eventRow(failed.keyId, "key.updated"))?.reacted_at).not.toBeNull();
    await expectOriginsMoved(failed);
  });

  it("retries later, backing off, while the reactions keep failing; acks what names no pending event", async () => {
    const failed = await failedOriginPatch({ kv: "down", queue: "down" });
    const batch = batchFor(failed.eventId, 3);
    const ctx = createExecutionContext();
    await worker.queue(batch, faultyEnv({ kv: "down" }), ctx);
    const result = await getQueueResult(batch, ctx);
    // (getQueueResult records that a message was retried, not its delay: retryDelaySeconds is checked below.)
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["msg-1"]);
    expect(await eventRow(failed.keyId, "key.updated")).toMatchObject({ reacted_at: null, attempts: 2 });

    const stray = createMessageBatch<unknown>("keyward-events", [
      { id: "gone", timestamp: new Date(), attempts: 1, body: { event_id: "evt_none" } },
      { id: "junk", timestamp: new Date(), attempts: 1, body: "not an event" },
    ]);
    const strayCtx = createExecutionContext();
    await worker.queue(stray, env, strayCtx);
    expect((await getQueueResult(stray, strayCtx)).explicitAcks.sort()).toEqual(["gone", "junk"]);
  });

  it("backs off by doubling from the first retry's delay, up to five minutes", () => {
    expect([1, 2, 3, 4, 10].map(retryDelaySeconds)).toEqual([1, 2, 4, 8, 60].map((n) => n * FIRST_RETRY_SECONDS));
  });

  it("react() runs an event's reactions once: a reacted event is left alone", async () => {
    const partner = await createPartner();
    const created = await eventRow(partner.id, "partner.created");
    expect(created?.reacted_at).not.toBeNull();
    expect(await react(env, created!.id)).toBe(true);
    expect((await eventRow(partner.id, "partner.created"))?.reacted_at).toBe(created!.reacted_at);
  });
});
