import { describe, expect, it } from "vitest";
import { ADMIN, call, createKey, createPartner, env, unique } from "../helpers";
import { sweep, SWEEP_MIN_AGE_MS } from "../../src/events/sweep";
import { manualClock } from "../clock";
import { callWith } from "./faulty-env";

type Res = { status: number; headers: Headers; body: any; text: string };

/** A storage failure after D1 committed: 2xx, or 503 propagation_pending saying the change was saved; never "nothing was changed". */
function expectSavedAnswer(res: Res, okStatus: number) {
  expect(res.text).not.toMatch(/nothing was changed/i);
  expect(res.body?.code, res.text).not.toBe("storage_unavailable");
  if (res.status === okStatus) return;
  expect([res.status, res.body?.code], res.text).toEqual([503, "propagation_pending"]);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  expect(res.body.detail).toMatch(/saved/i);
  expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
  // No internals leak.
  expect(res.text).not.toMatch(/injected|\bat \w|\.ts:\d|stack/i);
}

const partnerBody = (slug: string, extra: Record<string, unknown> = {}) => ({
  slug,
  name: `Partner ${slug}`,
  contact_email: `ops@${slug}.example`,
  website_url: `https://${slug}.example`,
  ...extra,
});

const idOfSlug = async (slug: string) =>
  (await env.DB.prepare("SELECT id FROM partners WHERE slug = ?1").bind(slug).first<{ id: string }>())?.id;

const preflight = (origin: string) =>
  call("/v1/me/key", { method: "OPTIONS", auth: null, headers: { origin, "access-control-request-method": "GET" } });

describe("a storage failure after D1 committed never answers 'nothing was changed'", () => {
  it("partner create with KV down (no origins): 201, and the partner exists afterwards", async () => {
    const slug = unique("kvdown");
    const res = await callWith({ kv: "down" }, "/v1/partners", { auth: ADMIN, body: partnerBody(slug) });
    expect(res.status, res.text).toBe(201);
    const id = await idOfSlug(slug);
    expect(res.body.id).toBe(id);
    const read = await call(`/v1/partners/${id}`);
    expect([read.status, read.body.slug]).toEqual([200, slug]);
    // The audit trail records the creation.
    const events = await call(`/v1/partners/${id}/audit-events`);
    expect(events.body.data.map((e: { action: string }) => e.action)).toContain("partner.created");
  });

  it("partner create with KV down and allowed_origins answers 201 with the partner, once; its origin registers when the retry runs", async () => {
    const clock = manualClock();
    const slug = unique("kvdown-origins");
    const origin = `https://${slug}.example`;
    const body = partnerBody(slug, { allowed_origins: [origin] });
    const res = await callWith({ kv: "down", queue: "down" }, "/v1/partners", { auth: ADMIN, body });
    expect(res.status, res.text).toBe(201);
    expect([res.body.id, res.body.allowed_origins]).toEqual([await idOfSlug(slug), [origin]]);
    // Nothing for the caller to repeat: a repeat is refused, and the partner exists exactly once.
    expect((await call("/v1/partners", { body })).body.code).toBe("slug_taken");
    expect((await preflight(origin)).status, "before the retry").toBe(403);
    clock.advance(SWEEP_MIN_AGE_MS + 1_000);
    await sweep(env);
    expect((await preflight(origin)).status, "after the retry").toBe(204);
  });

  it("key create with KV down answers 201 with the key's secret (shown only there); the key works at once and its origin registers when the retry runs", async () => {
    const clock = manualClock();
    const partner = await createPartner();
    const origin = `https://${unique("key-origin")}.example`;
    const res = await callWith({ kv: "down", queue: "down" }, `/v1/partners/${partner.id}/keys`, {
      auth: ADMIN,
      body: { name: "made while KV was down", type: "secret", allowed_origins: [origin] },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body.key).toMatch(/^kw_sk_/);
    expect((await call("/v1/me/key", { auth: res.body.key })).status).toBe(200);
    expect((await preflight(origin)).status, "before the retry").toBe(403);
    clock.advance(SWEEP_MIN_AGE_MS + 1_000);
    await sweep(env);
    expect((await preflight(origin)).status, "after the retry").toBe(204);
  });

  it("partner PATCH with KV down (no keys, no origins): 200 or 503 propagation_pending, and the change is saved", async () => {
    const partner = await createPartner();
    const res = await callWith({ kv: "down" }, `/v1/partners/${partner.id}`, { method: "PATCH", auth: ADMIN, body: { name: "Renamed" } });
    expectSavedAnswer(res, 200);
    const read = await call(`/v1/partners/${partner.id}`);
    expect([read.status, read.body.name]).toEqual([200, "Renamed"]);
  });

  it("partner PATCH with KV down, for a partner with keys and origins: 200 or 503 propagation_pending, the change is saved, and a repeat completes it", async () => {
    const origin = `https://${crypto.randomUUID()}.example`;
    const partner = await createPartner({ allowed_origins: [origin] });
    await createKey(partner.id, { allowed_origins: [`https://${crypto.randomUUID()}.example`] });
    const res = await callWith({ kv: "down" }, `/v1/partners/${partner.id}`, { method: "PATCH", auth: ADMIN, body: { name: "Renamed with keys" } });
    expectSavedAnswer(res, 200);
    const read = await call(`/v1/partners/${partner.id}`);
    expect([read.status, read.body.name]).toEqual([200, "Renamed with keys"]);
    const again = await call(`/v1/partners/${partner.id}`, { method: "PATCH", body: { name: "Renamed with keys" } });
    expect([again.status, again.body.name]).toEqual([200, "Renamed with keys"]);
  });

  it("partner suspension with KV down: saved (200 or 503 propagation_pending), and the partner's keys are refused on the next request (the guards need no KV)", async () => {
    const partner = await createPartner();
    const { key } = await createKey(partner.id);
    expect((await call("/v1/me/key", { auth: key })).status).toBe(200);
    const res = await callWith({ kv: "down" }, `/v1/partners/${partner.id}`, { method: "PATCH", auth: ADMIN, body: { status: "suspended" } });
    expectSavedAnswer(res, 200);
    expect((await call(`/v1/partners/${partner.id}`)).body.status).toBe("suspended");
    const next = await call("/v1/me/key", { auth: key });
    expect([next.status, next.body.code], "the suspended partner's key, next request").toEqual([401, "invalid_api_key"]);
  });
});
