import { describe, expect, it } from "vitest";
import { manualClock } from "../clock";
import { call, createKey, createPartner } from "../helpers";

describe("update partner", () => {
  it("reads, updates and suspends a partner", async () => {
    const p = await createPartner();
    expect((await call(`/v1/partners/${p.id}`)).body.slug).toBe(p.slug);
    const res = await call(`/v1/partners/${p.id}`, { method: "PATCH", body: { name: "Renamed", rate_limit_tier: "premium", status: "suspended" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: "Renamed", rate_limit_tier: "premium", status: "suspended" });
    expect(res.body.updated_at >= res.body.created_at).toBe(true);
  });

  it("sets leak_action on create and PATCH, and refuses any value but revoke and notify", async () => {
    const p = await createPartner({ leak_action: "notify" });
    expect(p.leak_action).toBe("notify");
    const res = await call(`/v1/partners/${p.id}`, { method: "PATCH", body: { leak_action: "revoke" } });
    expect([res.status, res.body.leak_action]).toEqual([200, "revoke"]);
    const bad = await call(`/v1/partners/${p.id}`, { method: "PATCH", body: { leak_action: "delete" } });
    expect([bad.status, bad.body.errors?.[0]?.path]).toEqual([400, "leak_action"]);
  });

  it("creates a partner with key scope, unlimited credits and no refill unless told otherwise", async () => {
    const p = await createPartner();
    expect(p).toMatchObject({ rate_limit_scope: "key", credits_remaining: null, credits_refill: null, credits_refilled_at: null });
  });

  it("sets rate_limit_scope, credits and their refill on create and PATCH, audited as partner.updated", async () => {
    manualClock(Date.UTC(2027, 2, 1, 9));
    const p = await createPartner({ rate_limit_scope: "partner", credits_refill: { amount: 500, interval: "month", day_of_month: 31 } });
    // A refill without a balance starts the balance full.
    expect(p).toMatchObject({
      rate_limit_scope: "partner",
      credits_remaining: 500,
      credits_refill: { amount: 500, interval: "month", day_of_month: 31 },
      credits_refilled_at: "2027-03-01T09:00:00.000Z",
    });
    const res = await call(`/v1/partners/${p.id}`, { method: "PATCH", body: { rate_limit_scope: "key", credits_remaining: 7, credits_refill: null } });
    expect(res.status).toBe(200);
    // Removing the refill keeps the last time on record.
    expect(res.body).toMatchObject({ rate_limit_scope: "key", credits_remaining: 7, credits_refill: null, credits_refilled_at: "2027-03-01T09:00:00.000Z" });
    const audit = await call(`/v1/partners/${p.id}/audit-events`);
    expect(audit.body.data[0]).toMatchObject({ action: "partner.updated", target_id: p.id });
  });

  it("refuses a refill that is not a positive amount per day or per month, or a day_of_month on a daily one", async () => {
    const p = await createPartner();
    for (const [credits_refill, path] of [
      [{ amount: 0, interval: "day" }, "credits_refill.amount"],
      [{ amount: 5, interval: "week" }, "credits_refill.interval"],
      [{ amount: 5, interval: "day", day_of_month: 3 }, "credits_refill.day_of_month"],
      [{ amount: 5, interval: "month", day_of_month: 32 }, "credits_refill.day_of_month"],
      [{ amount: 5, interval: "month", extra: 1 }, "credits_refill"],
    ] as const) {
      const bad = await call(`/v1/partners/${p.id}`, { method: "PATCH", body: { credits_refill } });
      expect([bad.status, bad.body.errors?.[0]?.path], JSON.stringify(credits_refill)).toEqual([400, path]);
      const badKey = await call(`/v1/partners/${p.id}/keys`, { body: { name: "x", type: "secret", credits_refill } });
      expect([badKey.status, badKey.body.errors?.[0]?.path], JSON.stringify(credits_refill)).toEqual([400, path]);
    }
    for (const rate_limit_scope of ["keys", "global", null]) {
      expect((await call(`/v1/partners/${p.id}`, { method: "PATCH", body: { rate_limit_scope } })).status).toBe(400);
    }
  });

  it("serializes a key's refill and leaves it operator-only", async () => {
    const p = await createPartner();
    const { api_key } = await createKey(p.id, { credits_remaining: 2, credits_refill: { amount: 9, interval: "month" } });
    expect(api_key).toMatchObject({ credits_remaining: 2, credits_refill: { amount: 9, interval: "month" } });
    expect(typeof api_key.credits_refilled_at).toBe("string");
    const plain = await createKey(p.id);
    expect(plain.api_key).toMatchObject({ credits_remaining: null, credits_refill: null, credits_refilled_at: null });
  });
});
