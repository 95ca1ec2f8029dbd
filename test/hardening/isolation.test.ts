import { beforeAll, describe, expect, it } from "vitest";
import { mintKey } from "../../src/keys/crypto";
import { ADMIN, call, createKey, createPartner, createUser, env, requestToken } from "../helpers";
import { newDeliveryId } from "../../src/db/deliveries";
import { receiverPath } from "../events/webhooks/helpers";

const ALL = ["keys:read", "keys:write", "keys:verify", "users:read", "users:write", "audit:read", "webhooks:read", "webhooks:write"];

/** An endpoint of the partner with one finished attempt (inserted: the queue's timing is not what this file tests). */
async function webhookWithDelivery(partnerId: string, keyId: string) {
  const hook = (await call(`/v1/partners/${partnerId}/webhooks`, { body: { url: receiverPath().url, events: ["key.created"] } })).body.webhook;
  const event = await env.DB.prepare("SELECT id FROM events WHERE subject_id = ?1 AND type = 'key.created'").bind(keyId).first<{ id: string }>();
  const deliveryId = newDeliveryId();
  await env.DB.prepare("INSERT INTO webhook_deliveries (id, webhook_id, event_id, type, attempt, state, scheduled_at, ok) VALUES (?1, ?2, ?3, 'key.created', 1, 'delivered', ?4, 1)")
    .bind(deliveryId, hook.id, event!.id, new Date().toISOString())
    .run();
  return { webhookA: hook.id as string, deliveryA: deliveryId };
}

interface Case {
  method: string;
  path: (a: World) => string;
  body?: (a: World) => unknown;
  /** 404 for partner objects; 403 operator_only for operator-only routes (a valid key in the wrong place). */
  expect: number;
}

interface World {
  partnerA: string;
  userA: string;
  keyA: string;
  keyIdA: string;
  keyB: string;
  tokenB: string;
  webhookA: string;
  deliveryA: string;
}

const CASES: Case[] = [
  { method: "GET", path: () => "/v1/partners", expect: 403 },
  { method: "POST", path: () => "/v1/partners", body: () => ({ slug: "stolen", name: "x", contact_email: "a@b.example", website_url: "https://b.example" }), expect: 403 },
  { method: "GET", path: (w) => `/v1/partners/${w.partnerA}`, expect: 403 },
  { method: "PATCH", path: (w) => `/v1/partners/${w.partnerA}`, body: () => ({ status: "suspended" }), expect: 403 },
  { method: "POST", path: (w) => `/v1/partners/${w.partnerA}/users`, body: () => ({ first_name: "a", last_name: "b", email: "e@x.example", role: "R" }), expect: 404 },
  { method: "GET", path: (w) => `/v1/partners/${w.partnerA}/users`, expect: 404 },
  { method: "GET", path: (w) => `/v1/users/${w.userA}`, expect: 404 },
  // Deactivating A's user would refuse A's key (bound to it): the last test checks it still works.
  { method: "PATCH", path: (w) => `/v1/users/${w.userA}`, body: () => ({ status: "deactivated", role: "PWNED" }), expect: 404 },
  { method: "POST", path: (w) => `/v1/partners/${w.partnerA}/keys`, body: () => ({ name: "x", type: "secret" }), expect: 404 },
  { method: "GET", path: (w) => `/v1/partners/${w.partnerA}/keys`, expect: 404 },
  { method: "GET", path: (w) => `/v1/keys/${w.keyIdA}`, expect: 404 },
  { method: "GET", path: (w) => `/v1/keys/${w.keyIdA}?all_permissions=true&expand=actors,user`, expect: 404 },
  { method: "PATCH", path: (w) => `/v1/keys/${w.keyIdA}`, body: () => ({ name: "pwned" }), expect: 404 },
  { method: "POST", path: (w) => `/v1/keys/${w.keyIdA}/rotate`, body: () => ({ grace_period_seconds: 0 }), expect: 404 },
  { method: "POST", path: (w) => `/v1/keys/${w.keyIdA}/revoke`, expect: 404 },
  { method: "GET", path: (w) => `/v1/partners/${w.partnerA}/audit-events`, expect: 404 },
  { method: "GET", path: () => "/v1/audit-events", expect: 403 },
  { method: "GET", path: (w) => `/v1/keys/${w.keyIdA}/usage`, expect: 404 },
  { method: "GET", path: (w) => `/v1/partners/${w.partnerA}/usage?granularity=day`, expect: 404 },
  { method: "POST", path: (w) => `/v1/partners/${w.partnerA}/webhooks`, body: () => ({ url: "https://hooks.attacker.example/x", events: ["key.created"] }), expect: 404 },
  { method: "GET", path: (w) => `/v1/partners/${w.partnerA}/webhooks`, expect: 404 },
  { method: "GET", path: (w) => `/v1/webhooks/${w.webhookA}`, expect: 404 },
  { method: "PATCH", path: (w) => `/v1/webhooks/${w.webhookA}`, body: () => ({ url: "https://hooks.attacker.example/x" }), expect: 404 },
  { method: "POST", path: (w) => `/v1/webhooks/${w.webhookA}/rotate-secret`, expect: 404 },
  { method: "GET", path: (w) => `/v1/webhooks/${w.webhookA}/deliveries`, expect: 404 },
  { method: "POST", path: (w) => `/v1/webhooks/${w.webhookA}/deliveries/${w.deliveryA}/redeliver`, expect: 404 },
  { method: "DELETE", path: (w) => `/v1/webhooks/${w.webhookA}`, expect: 404 },
  { method: "POST", path: () => "/v1/webhooks", body: () => ({ url: "https://hooks.attacker.example/x", events: ["key.created"] }), expect: 403 },
  { method: "GET", path: () => "/v1/webhooks", expect: 403 },
  { method: "GET", path: (w) => `/v1/api-keys/${w.partnerA}`, expect: 404 },
  { method: "GET", path: (w) => `/v1/api-keys/${w.keyIdA}`, expect: 404 },
];

describe("tenant isolation", () => {
  let w: World;
  beforeAll(async () => {
    const a = await createPartner({ scopes: ALL });
    const userA = await createUser(a.id);
    const keyA = await createKey(a.id, { name: "A's key", user_id: userA.id, scopes: ALL });
    const b = await createPartner({ scopes: ALL });
    const keyB = await createKey(b.id, { scopes: ALL });
    const token = await requestToken(keyB.api_key.id, keyB.key);
    w = {
      partnerA: a.id, userA: userA.id, keyA: keyA.key, keyIdA: keyA.api_key.id, keyB: keyB.key, tokenB: token.body.access_token,
      ...(await webhookWithDelivery(a.id, keyA.api_key.id)),
    };
  });

  for (const credential of ["key", "token"] as const) {
    for (const c of CASES) {
      it(`${c.method} ${c.path({ partnerA: "{A}", userA: "{userA}", keyA: "", keyIdA: "{keyA}", keyB: "", tokenB: "", webhookA: "{webhookA}", deliveryA: "{delivery}" })} with B's ${credential} → ${c.expect}`, async () => {
        const res = await call(c.path(w), { method: c.method, auth: credential === "key" ? w.keyB : w.tokenB, body: c.body?.(w) });
        expect(res.status).toBe(c.expect);
        // FlexFactor's seed routes answer in their own documented error envelope.
        if (!c.path(w).startsWith("/v1/api-keys/")) expect(res.body.code).toBe(c.expect === 403 ? "operator_only" : "not_found");
        expect(res.text).not.toContain(w.keyIdA.slice(4) + "\"");
      });
    }
  }

  it("the public OAuth metadata is the same for everyone and names none of a partner's own scopes", async () => {
    const anonymous = await call("/.well-known/oauth-authorization-server", { auth: null });
    const asB = await call("/.well-known/oauth-authorization-server", { auth: w.keyB });
    expect(asB.status).toBe(200);
    expect(asB.body).toEqual(anonymous.body);
    // Partners made by createPartner() hold the free-form scope "charges:read" by default; it is not advertised.
    expect(anonymous.text).not.toContain("charges:read");
  });

  it("B cannot verify A's key: it is invalid_api_key to B, and uncounted", async () => {
    const res = await call("/v1/keys/verify", { auth: w.keyB, body: { key: w.keyA } });
    expect(res.body).toMatchObject({ valid: false, code: "invalid_api_key" });
    expect(res.body.api_key).toBeUndefined();
  });

  it("every cross-partner body above is valid: on the caller's own objects (the operator's, for operator routes) each succeeds", async () => {
    // So each refusal above comes from the foreign id or the operator-only route, never from the body.
    const c = await createPartner({ scopes: ALL });
    const userC = await createUser(c.id);
    const targetC = await createKey(c.id, { name: "C's key", user_id: userC.id, scopes: ALL });
    const actorC = await createKey(c.id, { scopes: ALL });
    const own: World = {
      partnerA: c.id, userA: userC.id, keyA: targetC.key, keyIdA: targetC.api_key.id, keyB: actorC.key, tokenB: "",
      ...(await webhookWithDelivery(c.id, targetC.api_key.id)),
    };
    // Partner routes first, the revoke and the delete last among them; then the operator's, whose PATCH suspends C.
    const last = (x: Case) => x.path(own).endsWith("/revoke") || x.method === "DELETE";
    const ordered = [
      ...CASES.filter((x) => x.expect === 404 && !last(x)),
      ...CASES.filter((x) => x.expect === 404 && last(x)),
      ...CASES.filter((x) => x.expect === 403),
    ];
    expect(ordered).toHaveLength(CASES.length);
    for (const x of ordered) {
      const body = x.body?.(own);
      const res = await call(x.path(own), { method: x.method, auth: x.expect === 403 ? ADMIN : own.keyB, body });
      expect(res.status, `${x.method} ${x.path(own)}: ${res.text}`).toBeGreaterThanOrEqual(200);
      expect(res.status, `${x.method} ${x.path(own)}: ${res.text}`).toBeLessThan(300);
    }
  });

  it("B cannot bind A's user to its own key: the same body with B's own user succeeds, with A's it is refused by name", async () => {
    const meB = (await call("/v1/me/partner", { auth: w.keyB })).body;
    const userB = await createUser(meB.id);
    const body = (user_id: string) => ({ name: "x", type: "secret", user_id });
    expect((await call(`/v1/partners/${meB.id}/keys`, { auth: w.keyB, body: body(userB.id) })).status).toBe(201);
    const res = await call(`/v1/partners/${meB.id}/keys`, { auth: w.keyB, body: body(w.userA) });
    expect([res.status, res.body.code]).toEqual([400, "validation_error"]);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: "user_id", message: "No such user in this partner" })]);
  });

  it("a partner_id in a key's body is no field at all: the strict schema refuses it by name, so no key can be placed in A that way", async () => {
    const meB = (await call("/v1/me/partner", { auth: w.keyB })).body;
    const moved = await call(`/v1/partners/${meB.id}/keys`, { auth: w.keyB, body: { name: "x", type: "secret", partner_id: w.partnerA } });
    expect([moved.status, moved.body.code]).toEqual([400, "validation_error"]);
    // An unknown key is a body-level issue: the path is the body ("json"), the message names the key.
    expect(moved.body.errors).toEqual([{ path: "json", message: expect.stringContaining('"partner_id"') }]);
  });

  it("a leak report (public) tells B nothing about A's key beyond a label for the token B sent, and changes nothing", async () => {
    // A token with A's key id and a genuine tag, but a secret B made up: as close to A's key as B can get.
    const impostor = (await mintKey(env.KEY_PEPPER!, "kw", "secret", w.keyIdA.slice(4))).full;
    const noise = (await mintKey("not-the-pepper", "kw", "secret", w.keyIdA.slice(4))).full;
    const res = await call("/v1/leaks", { auth: w.keyB, body: [{ token: impostor, type: "t", url: "u", source: "s" }, { token: noise, type: "t" }] });
    expect(res.status).toBe(200);
    expect(res.body.map((v: { label: string }) => v.label)).toEqual(["false_positive", "false_positive"]);
    expect(res.body.every((v: object) => Object.keys(v).sort().join() === "label,token_hash,token_type")).toBe(true);
    expect(res.text).not.toContain(w.keyIdA.slice(4));
    expect(res.text).not.toContain(w.partnerA);
  });

  it("after all of it, A's objects are untouched and A's audit trail holds only A's own events", async () => {
    const key = (await call(`/v1/keys/${w.keyIdA}`)).body;
    expect(key).toMatchObject({ name: "A's key", status: "active", secret_rotated_at: null });
    expect((await call(`/v1/partners/${w.partnerA}`)).body.status).toBe("active");
    expect((await call(`/v1/users/${w.userA}`)).body).toMatchObject({ status: "active", role: "BUSINESS_MANAGER" });
    expect((await call("/v1/me/key", { auth: w.keyA })).status).toBe(200);
    // Exactly what beforeAll did to A, newest first, all by the operator: nothing B attempted left a trace.
    const events = (await call(`/v1/partners/${w.partnerA}/audit-events`)).body.data as { action: string; actor: string }[];
    expect(events.map((e) => [e.action, e.actor])).toEqual([
      ["webhook.created", "operator"],
      ["key.created", "operator"],
      ["user.created", "operator"],
      ["partner.created", "operator"],
    ]);
    const { results } = await env.DB.prepare("SELECT COUNT(*) AS n FROM users WHERE partner_id = ?1").bind(w.partnerA).all<{ n: number }>();
    expect(results[0]!.n).toBe(1);
    const keysOfA = await env.DB.prepare("SELECT COUNT(*) AS n FROM api_keys WHERE partner_id = ?1").bind(w.partnerA).first<{ n: number }>();
    expect(keysOfA!.n).toBe(1);
  });
});
