import { describe, expect, it } from "vitest";
import { ADMIN, call, createKey, createPartner, env, unique } from "../helpers";
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
  it("partner create with KV down (no origins): 201 or 503 propagation_pending, and the partner exists afterwards", async () => {
    const slug = unique("kvdown");
    const res = await callWith({ kv: "down" }, "/v1/partners", { auth: ADMIN, body: partnerBody(slug) });
    expectSavedAnswer(res, 201);
    const id = await idOfSlug(slug);
    expect(id).toBeDefined();
    if (res.status === 201) expect(res.body.id).toBe(id);
    const read = await call(`/v1/partners/${id}`);
    expect([read.status, read.body.slug]).toEqual([200, slug]);
    // The audit trail records the creation.
    const events = await call(`/v1/partners/${id}/audit-events`);
    expect(events.body.data.map((e: { action: string }) => e.action)).toContain("partner.created");
  });

  it("partner create with KV down and allowed_origins (so the origin registry needs KV): 201 or 503 propagation_pending, and the partner exists afterwards", async () => {
    const slug = unique("kvdown-origins");
    const origin = `https://${slug}.example`;
    const res = await callWith({ kv: "down" }, "/v1/partners", { auth: ADMIN, body: partnerBody(slug, { allowed_origins: [origin] }) });
    expectSavedAnswer(res, 201);
    const id = await idOfSlug(slug);
    expect(id).toBeDefined();
    const read = await call(`/v1/partners/${id}`);
    expect([read.status, read.body.allowed_origins]).toEqual([200, [origin]]);
  });

  it("partner create answered 503 propagation_pending names its id and the PATCH that finishes it, which registers the origin", async () => {
    const slug = unique("kvdown-repeat");
    const origin = `https://${slug}.example`;
    const body = partnerBody(slug, { allowed_origins: [origin] });
    const res = await callWith({ kv: "down" }, "/v1/partners", { auth: ADMIN, body });
    expectSavedAnswer(res, 201);
    if (res.status === 503) {
      const id = /id ([0-9a-f-]{36})/.exec(res.body.detail)?.[1];
      expect(res.body.detail).toMatch(/was saved .* PATCH \/v1\/partners/);
      // Repeating the create is refused (the slug is taken): the partner exists exactly once.
      expect((await call("/v1/partners", { body })).body.code).toBe("slug_taken");
      expect((await call(`/v1/partners/${id}`, { method: "PATCH", body: { allowed_origins: [origin] } })).status).toBe(200);
    }
    expect((await preflight(origin)).status, "preflight for the new partner's origin").toBe(204);
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
