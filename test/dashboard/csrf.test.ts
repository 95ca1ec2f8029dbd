import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { createKey, createUser, unique } from "../helpers";
import { receiverPath } from "../events/webhooks/helpers";
import { ADMIN, call, isSignInPage, ORIGIN, page, partnerUser, signIn } from "./helpers";

// DESIGN §6 (contract): every POST under /dashboard whose Origin is not the dashboard's own is 403
// before anything else, sign-in and sign-out included. The routes come from the app itself, so a
// page added later is covered without anyone listing it here.
const POST_ROUTES = [
  ...new Set(
    createApp()
      .routes.filter((r) => r.method === "POST" && (r.path === "/dashboard" || r.path.startsWith("/dashboard/")))
      .map((r) => r.path),
  ),
].sort();

interface World {
  partnerId: string;
  keyId: string;
  pat: string;
  userId: string;
  userCookie: string;
  operatorCookie: string;
  webhookId: string;
  deliveryId: string;
  /** An endpoint for each delete route (the operator's view of the partner, the user's portal), so the other routes keep theirs. */
  doomed: { operator: string; user: string };
}

const webhookFor = (route: string, w: World) =>
  route.endsWith("/webhooks/:webhook_id/delete") ? (route.startsWith("/dashboard/partners") ? w.doomed.operator : w.doomed.user) : w.webhookId;

const pathOf = (route: string, w: World) =>
  route
    .replace(":partner_id", w.partnerId)
    .replace(":key_id", w.keyId)
    .replace(":user_id", w.userId)
    .replace(":webhook_id", webhookFor(route, w))
    .replace(":delivery_id", w.deliveryId);

/** Three endpoints of the partner on the loopback receiver, hearing key.created (the world's target key then makes a delivery). */
async function webhooksOf(partnerId: string) {
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await call(`/v1/partners/${partnerId}/webhooks`, { body: { url: receiverPath().url, events: ["key.created"] } });
    expect(res.status).toBe(201);
    ids.push(res.body.webhook.id);
  }
  return { webhookId: ids[0]!, doomed: { operator: ids[1]!, user: ids[2]! } };
}

/** The endpoint's first attempt, once the queue made one (polled, with a deadline). */
async function firstDelivery(webhookId: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const rows: { id: string; status: string }[] = (await call(`/v1/webhooks/${webhookId}/deliveries`)).body.data;
    const done = rows.find((d) => d.status === "delivered" || d.status === "failed");
    if (done) return done.id;
    if (Date.now() > deadline) throw new Error(`no delivery for ${webhookId} within 30 s: ${JSON.stringify(rows)}`);
    await scheduler.wait(100);
  }
}

/** Operator pages live under /dashboard/partners; a partner user's portal everywhere else. */
const cookieFor = (route: string, w: World) => (route.startsWith("/dashboard/partners") ? w.operatorCookie : w.userCookie);

/** One form that every dashboard POST can read what it needs from, each field valid. */
const formFor = (w: World) => ({
  token: w.pat,
  name: "Made by a form",
  type: "secret",
  scopes: ["keys:read"],
  grace_period_seconds: "0",
  allowed_origins: "",
  allowed_ips: "",
  allowed_agents: "",
  status: "active",
  rate_limit_tier: "standard",
  leak_action: "notify",
  rate_limit_scope: "partner",
  // Plenty: the partner's own later requests spend from the shared credits these set.
  credits_remaining: "1000000",
  refill_interval: "month",
  refill_amount: "1000000",
  refill_day: "15",
  first_name: "Eve",
  last_name: "Form",
  email: `${unique("csrf")}@example.com`,
  role: "VIEWER",
  slug: unique("csrf"),
  contact_email: "ops@csrf.example",
  website_url: "https://csrf.example",
  url: receiverPath().url,
  events: ["key.created"],
});

describe("the Origin rule on every POST under /dashboard", () => {
  let w: World;
  beforeAll(async () => {
    const { partner, pat } = await partnerUser();
    const hooks = await webhooksOf(partner.id);
    const target = await createKey(partner.id, { name: "target", scopes: ["keys:read"] });
    // A user of its own, so a refused status change would show on someone no other check reads.
    const other = await createUser(partner.id);
    // The Origin rule answers before any page reads the delivery: no need to wait for one.
    const deliveryId = "dlv_00000000000000000000";
    w = { partnerId: partner.id, keyId: target.api_key.id, pat, userId: other.id, userCookie: await signIn(pat), operatorCookie: await signIn(ADMIN), ...hooks, deliveryId };
  });

  it("finds the dashboard's POST routes in the app (sign-in and sign-out among them)", () => {
    expect(POST_ROUTES).toContain("/dashboard/sign-in");
    expect(POST_ROUTES).toContain("/dashboard/sign-out");
    expect(POST_ROUTES).toContain("/dashboard/keys/:key_id/revoke");
    expect(POST_ROUTES).toContain("/dashboard/partners/:partner_id/keys/:key_id/allowlists");
    expect(POST_ROUTES).toEqual(
      expect.arrayContaining(["/dashboard/passkeys", "/dashboard/passkeys/options", "/dashboard/passkeys/:passkey_id/revoke", "/dashboard/sign-in/passkey", "/dashboard/sign-in/passkey/options"]),
    );
    expect(POST_ROUTES).toEqual(
      expect.arrayContaining([
        "/dashboard/webhooks",
        "/dashboard/webhooks/:webhook_id/deliveries/:delivery_id/redeliver",
        "/dashboard/partners/:partner_id/webhooks/:webhook_id/rotate-secret",
        "/dashboard/partners/:partner_id/leak-action",
        "/dashboard/partners/:partner_id/budget",
        "/dashboard/partners/:partner_id/keys/:key_id/budget",
      ]),
    );
    expect(POST_ROUTES.length).toBeGreaterThanOrEqual(34);
  });

  for (const [label, origin] of [
    ["another site's Origin", "https://evil.example"],
    ["a look-alike Origin (another port)", `${ORIGIN}:8443`],
    ["Origin: null", "null"],
    ["no Origin at all", null],
  ] as const) {
    it(`refuses ${label} with 403 on every route, and nothing happens`, async () => {
      for (const route of POST_ROUTES) {
        const res = await page(pathOf(route, w), { form: formFor(w), cookie: cookieFor(route, w), origin });
        expect([route, res.status]).toEqual([route, 403]);
        expect(res.html).toContain("This form came from another site");
        expect(res.cookies, route).toEqual([]);
      }
      // The target key was neither revoked, rotated nor edited; both sessions still stand.
      const key = await call(`/v1/keys/${w.keyId}`);
      expect(key.body).toMatchObject({ status: "active", secret_rotated_at: null, name: "target" });
      const audit = await call(`/v1/partners/${w.partnerId}/audit-events`);
      expect(audit.body.data.map((e: { action: string }) => e.action).sort()).toEqual([
        "key.created",
        "key.created",
        "partner.created",
        "user.created",
        "user.created",
        "webhook.created",
        "webhook.created",
        "webhook.created",
      ]);
      // The endpoints were neither edited, disabled, rotated nor deleted.
      const hooks: { id: string; events: string[]; status: string }[] = (await call(`/v1/partners/${w.partnerId}/webhooks`)).body.data;
      expect(hooks.map((h) => [h.id, h.events, h.status]).sort()).toEqual(
        [w.webhookId, w.doomed.operator, w.doomed.user].map((id) => [id, ["key.created"], "enabled"]).sort(),
      );
      expect(isSignInPage((await page("/dashboard", { cookie: w.userCookie })).html)).toBe(false);
      expect(isSignInPage((await page("/dashboard/partners", { cookie: w.operatorCookie })).html)).toBe(false);
    });
  }

  it("serves the same requests from the dashboard's own origin (so the 403s above come from the Origin alone)", async () => {
    const { partner, pat } = await partnerUser();
    const hooks = await webhooksOf(partner.id);
    const target = await createKey(partner.id, { name: "target", scopes: ["keys:read"] });
    const other = await createUser(partner.id);
    const deliveryId = await firstDelivery(hooks.webhookId);
    const own: World = { partnerId: partner.id, keyId: target.api_key.id, pat, userId: other.id, userCookie: "", operatorCookie: "", ...hooks, deliveryId };
    for (const route of POST_ROUTES) {
      const cookie = route === "/dashboard/sign-in" ? null : await signIn(route.startsWith("/dashboard/partners") ? ADMIN : pat);
      const res = await page(pathOf(route, own), { form: formFor(own), cookie });
      expect([route, res.status]).not.toEqual([route, 403]);
      // The passkey endpoints take JSON from passkeys.js (a form is 400, or the sign-in's one 401) and
      // need a relying party this origin is not (400); a passkey this world lacks is 404.
      const served = route.includes("passkey") ? [200, 201, 303, 400, 401, 404] : [200, 201, 303, 409];
      expect([route, served.includes(res.status)]).toEqual([route, true]);
      if (route !== "/dashboard/sign-out") expect([route, isSignInPage(res.html)]).toEqual([route, false]);
    }
  });

  it("honours PUBLIC_ORIGIN: behind it, the request's own origin is foreign", async () => {
    const { pat } = await partnerUser();
    const env = { PUBLIC_ORIGIN: "https://keys.example.com" };
    expect((await page("/dashboard/sign-in", { env, form: { token: pat } })).status).toBe(403);
    expect((await page("/dashboard/sign-in", { env, form: { token: pat }, origin: "https://keys.example.com" })).status).toBe(303);
  });
});
