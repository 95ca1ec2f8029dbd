import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { callWith } from "../hardening/faulty-env";
import { call, createKey, createPartner, env } from "../helpers";
import { receiverPath } from "../events/webhooks/helpers";

const ALL_TYPES = ["key.created", "key.revoked"];
const publicUrl = "https://hooks.partner.example/keyward";

async function endpoint(partnerId: string, body: Record<string, unknown> = {}, auth?: string) {
  const res = await call(`/v1/partners/${partnerId}/webhooks`, { body: { url: publicUrl, events: ALL_TYPES, ...body }, ...(auth ? { auth } : {}) });
  expect(res.status, res.text).toBe(201);
  // An answer holding a secret is kept by no cache.
  expect(res.headers.get("cache-control")).toBe("no-store");
  return res.body as { webhook: { id: string }; secret: string };
}

describe("webhook endpoints", () => {
  it("create answers the whsec_ secret once: no read, list or update ever shows it, and D1 holds it only sealed", async () => {
    const partner = await createPartner();
    const { webhook, secret } = await endpoint(partner.id, { description: "billing" });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(webhook).toMatchObject({ partner_id: partner.id, url: publicUrl, events: ALL_TYPES, description: "billing", status: "enabled" });
    const seen = [
      await call(`/v1/webhooks/${webhook.id}`),
      await call(`/v1/partners/${partner.id}/webhooks`),
      await call(`/v1/webhooks/${webhook.id}`, { method: "PATCH", body: { description: "x" } }),
    ];
    for (const res of seen) {
      expect(res.status).toBe(200);
      expect(res.text).not.toContain(secret.slice(6, 20));
      expect(res.text).not.toMatch(/whsec_|"secret"/);
    }
    const row = await env.DB.prepare("SELECT secret FROM webhooks WHERE id = ?1").bind(webhook.id).first<{ secret: string }>();
    expect(row!.secret).toMatch(/^v1\./);
    expect(row!.secret).not.toContain(secret.slice(6, 20));
  });

  it("rotate-secret shows a new secret once; each change is audited with its own action", async () => {
    const partner = await createPartner();
    const { webhook, secret } = await endpoint(partner.id);
    const rotated = await call(`/v1/webhooks/${webhook.id}/rotate-secret`, { method: "POST" });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(secret);
    expect((await call(`/v1/webhooks/${webhook.id}`, { method: "PATCH", body: { status: "disabled" } })).body.status).toBe("disabled");
    expect((await call(`/v1/webhooks/${webhook.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await call(`/v1/webhooks/${webhook.id}`)).status).toBe(404);
    const actions = (await call(`/v1/partners/${partner.id}/audit-events`)).body.data.map((e: { action: string }) => e.action);
    expect(actions.slice(0, 4)).toEqual(["webhook.deleted", "webhook.updated", "webhook.secret_rotated", "webhook.created"]);
  });

  it("refuses every target the rules forbid with validation_error on url, whatever the spelling (WEBHOOK_ALLOW_LOCAL off)", async () => {
    const partner = await createPartner();
    const forbidden = fc.constantFrom(
      "http://hooks.example.com/x",
      "https://hooks.example.com:8443/x",
      "https://127.0.0.1/x",
      "https://2130706433/x",
      "https://0x7f.1/x",
      "https://[::1]/x",
      "https://[fd00::1]/x",
      "https://10.0.0.8/x",
      "https://169.254.169.254/latest/meta-data",
      "https://localhost/x",
      "https://api.localhost/x",
      "https://printer.local/x",
      "https://db.internal/x",
      "https://intranet/x",
      "https://user:pw@hooks.example.com/x",
      "ftp://hooks.example.com/x",
    );
    await fc.assert(
      fc.asyncProperty(forbidden, fc.boolean(), async (url, upper) => {
        const res = await callWith({}, `/v1/partners/${partner.id}/webhooks`, {
          auth: "test-admin-token-0123456789abcdefghij",
          body: { url: upper ? url.toUpperCase().replace(/^([A-Z]+):/, (s) => s.toLowerCase()) : url, events: ["key.created"] },
          vars: { WEBHOOK_ALLOW_LOCAL: undefined },
        });
        expect([res.status, res.body.code]).toEqual([400, "validation_error"]);
        expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(["url"]);
      }),
      { numRuns: 40 },
    );
    expect((await env.DB.prepare("SELECT count(*) AS n FROM webhooks WHERE partner_id = ?1").bind(partner.id).first<{ n: number }>())!.n).toBe(0);
  });

  it("with WEBHOOK_ALLOW_LOCAL=on loopback over http with a port is allowed, other IP literals still are not", async () => {
    const partner = await createPartner();
    expect((await call(`/v1/partners/${partner.id}/webhooks`, { body: { url: receiverPath().url, events: ["key.created"] } })).status).toBe(201);
    const lan = await call(`/v1/partners/${partner.id}/webhooks`, { body: { url: "http://192.168.1.2:8080/x", events: ["key.created"] } });
    expect([lan.status, lan.body.code]).toEqual([400, "validation_error"]);
  });

  it("events must be known webhook types; repeats are ignored", async () => {
    const partner = await createPartner();
    const bad = await call(`/v1/partners/${partner.id}/webhooks`, { body: { url: publicUrl, events: ["user.created"] } });
    expect([bad.status, bad.body.code]).toEqual([400, "validation_error"]);
    const { webhook } = await endpoint(partner.id, { events: ["key.created", "key.created"] });
    expect((await call(`/v1/webhooks/${webhook.id}`)).body.events).toEqual(["key.created"]);
  });

  it("keys need webhooks:read to list and webhooks:write to change; publishable keys may never hold them", async () => {
    const partner = await createPartner({ scopes: ["webhooks:read", "webhooks:write", "keys:read"] });
    const reader = await createKey(partner.id, { scopes: ["webhooks:read"] });
    const writer = await createKey(partner.id, { scopes: ["webhooks:read", "webhooks:write", "keys:read"] });
    const { webhook } = await endpoint(partner.id, {}, writer.key);
    expect((await call(`/v1/partners/${partner.id}/webhooks`, { auth: reader.key })).body.data).toHaveLength(1);
    const refused = await call(`/v1/webhooks/${webhook.id}`, { method: "PATCH", auth: reader.key, body: { status: "disabled" } });
    expect([refused.status, refused.body.code]).toEqual([403, "insufficient_scope"]);
    const publishable = await call(`/v1/partners/${partner.id}/keys`, { body: { name: "p", type: "publishable", scopes: ["webhooks:read"], allowed_origins: ["https://a.example"] } });
    expect([publishable.status, publishable.body.code]).toEqual([400, "validation_error"]);
  });

  it("the operator's own endpoints are the operator's alone, and a partner holds at most 20", async () => {
    const own = await call("/v1/webhooks", { body: { url: publicUrl, events: ["credits.low"] } });
    expect([own.status, own.body.webhook.partner_id]).toEqual([201, null]);
    expect((await call("/v1/webhooks")).body.data.map((w: { id: string }) => w.id)).toContain(own.body.webhook.id);
    const partner = await createPartner({ scopes: ["webhooks:read"] });
    const key = await createKey(partner.id, { scopes: ["webhooks:read"] });
    expect((await call(`/v1/webhooks/${own.body.webhook.id}`, { auth: key.key })).status).toBe(404);
    for (let i = 0; i < 20; i++) await endpoint(partner.id);
    const over = await call(`/v1/partners/${partner.id}/webhooks`, { body: { url: publicUrl, events: ["key.created"] } });
    expect([over.status, over.body.code]).toEqual([409, "too_many_webhooks"]);
    await call(`/v1/webhooks/${own.body.webhook.id}`, { method: "DELETE" });
  });

  it("a D1 failure inside the commit leaves neither the endpoint nor its audit row nor its event", async () => {
    const partner = await createPartner();
    const res = await callWith({ d1: "batch" }, `/v1/partners/${partner.id}/webhooks`, {
      auth: "test-admin-token-0123456789abcdefghij",
      body: { url: publicUrl, events: ["key.created"] },
    });
    expect(res.status).toBe(503);
    for (const sql of ["SELECT count(*) AS n FROM webhooks WHERE partner_id = ?1", "SELECT count(*) AS n FROM audit_events WHERE partner_id = ?1 AND action LIKE 'webhook.%'", "SELECT count(*) AS n FROM events WHERE partner_id = ?1 AND type LIKE 'webhook.%'"]) {
      expect((await env.DB.prepare(sql).bind(partner.id).first<{ n: number }>())!.n, sql).toBe(0);
    }
  });

  it("a key may subscribe only to what it could read: key events need keys:read (§3a), partner events do not", async () => {
    const partner = await createPartner({ scopes: ["webhooks:write", "keys:read"] });
    const hooksOnly = await createKey(partner.id, { scopes: ["webhooks:write"] });
    const body = (events: string[]) => ({ body: { url: publicUrl, events }, auth: hooksOnly.key });
    for (const events of [["key.created"], ["partner.updated", "credits.low"], ["rate_limit.exceeded"], ["key.leaked"]]) {
      const res = await call(`/v1/partners/${partner.id}/webhooks`, body(events));
      expect([res.status, res.body.code, res.body.errors?.[0]?.path], events.join()).toEqual([403, "scope_escalation", "events"]);
    }
    const partnerOnly = await call(`/v1/partners/${partner.id}/webhooks`, body(["partner.updated", "partner.suspended"]));
    expect(partnerOnly.status).toBe(201);
    const widened = await call(`/v1/webhooks/${partnerOnly.body.webhook.id}`, { method: "PATCH", auth: hooksOnly.key, body: { events: ["key.updated"] } });
    expect([widened.status, widened.body.code]).toEqual([403, "scope_escalation"]);
    expect((await call(`/v1/webhooks/${partnerOnly.body.webhook.id}`)).body.events).toEqual(["partner.updated", "partner.suspended"]);
  });
});
