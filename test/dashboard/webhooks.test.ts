import { describe, expect, it } from "vitest";
import { queueAttempts } from "../../src/db/deliveries";
import { receiverPath } from "../events/webhooks/helpers";
import { createKey, createUser } from "../helpers";
import { ADMIN, call, env, newSecretIn, page, partnerUser, PORTAL_SCOPES, signIn, type Page } from "./helpers";

// The webhooks pages (DESIGN §6 + §8): a partner's endpoints in its portal, the operator's own in
// the console. The pages act through the API, so what they show and refuse is the API's.

const secretIn = (html: string) => newSecretIn(html, "new-webhook-secret");

/** Where the dashboard sends a form: the created endpoint's id is read from the list the API returns. */
async function endpoints(partnerId: string): Promise<{ id: string; url: string; events: string[]; status: string; description: string | null }[]> {
  return (await call(`/v1/partners/${partnerId}/webhooks`)).body.data;
}

/** No inline script, handler or style: the page keeps to the CSP's `'self'`. */
function expectNoInlineCode(res: Page) {
  expect(res.html).not.toMatch(/\sstyle=|\son[a-z]+=|<style/i);
  for (const [, attrs, body] of res.html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
    expect(attrs).toMatch(/src="\/dashboard\/static\/app\.js"/);
    expect(body).toBe("");
  }
}

/** A partner user signed in, with an endpoint added through the dashboard on the loopback receiver. */
async function userWithEndpoint(events = ["key.created", "key.revoked"]) {
  const who = await partnerUser();
  const cookie = await signIn(who.pat);
  const { url } = receiverPath();
  const res = await page("/dashboard/webhooks", { cookie, form: { url, events, description: "Billing sync" } });
  expect(res.status, res.html.slice(0, 300)).toBe(201);
  const [hook] = await endpoints(who.partner.id);
  return { ...who, cookie, url, hook: hook!, created: res };
}

/** Polls the API (as the operator) until the endpoint's log holds an attempt that `done` accepts, or 30 s pass. */
async function deliveriesUntil(hookId: string, done: (rows: { id: string; attempt: number; status: string }[]) => boolean) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const rows = (await call(`/v1/webhooks/${hookId}/deliveries`)).body.data;
    if (done(rows) || Date.now() > deadline) return rows as { id: string; event_id: string; type: string; attempt: number; status: string; status_code: number | null }[];
    await scheduler.wait(100);
  }
}

describe("a partner's webhooks in its portal", () => {
  it("adds an endpoint and shows its signing secret exactly once, with a copy button; the list shows it, reloading shows no secret", async () => {
    const { partner, cookie, url, hook, created, user } = await userWithEndpoint();
    const secret = secretIn(created.html);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    expect(created.html).toContain('data-copy="new-webhook-secret"');
    expect(hook).toMatchObject({ url, events: ["key.created", "key.revoked"], status: "enabled", description: "Billing sync" });
    expectNoInlineCode(created);

    const list = await page("/dashboard/webhooks", { cookie });
    expect(list.status).toBe(200);
    expect(secretIn(list.html)).toBeNull();
    expect(list.html).not.toContain(secret!);
    expect(list.html).toContain(`href="/dashboard/webhooks/${hook.id}"`);
    expect(list.html).toContain(url);
    expect(list.html).toContain("<code class=\"tag\">key.revoked</code>");
    // The nav offers the section to a user who may read webhooks.
    expect(list.html).toMatch(/<a href="\/dashboard\/webhooks" aria-current="page">Webhooks<\/a>/);
    expectNoInlineCode(list);
    // Audited with the user as the actor (§6: every action obeys §3a with the user as actor).
    const audit = await call(`/v1/partners/${partner.id}/audit-events`);
    expect(audit.body.data.find((e: { action: string }) => e.action === "webhook.created")).toMatchObject({ actor: user.id });
  });

  it("shows the API's words next to the fields it refused, on a 200 page that keeps what was typed", async () => {
    const { cookie, partner } = await partnerUser().then(async (w) => ({ ...w, cookie: await signIn(w.pat) }));
    const res = await page("/dashboard/webhooks", { cookie, form: { url: "https://10.0.0.7/hooks", events: ["key.revoked"], description: "kept" } });
    expect(res.status).toBe(200);
    expect(res.html).toMatch(/<ul class="field-errors" id="url-errors">\s*<li>[^<]+<\/li>/);
    expect(res.html).toContain('value="https://10.0.0.7/hooks"');
    expect(res.html).toContain('value="kept"');
    expect(res.html).toMatch(/value="key\.revoked" checked/);
    const noEvents = await page("/dashboard/webhooks", { cookie, form: { url: receiverPath().url } });
    expect(noEvents.status).toBe(200);
    expect(noEvents.html).toMatch(/<ul class="field-errors" id="events-errors">\s*<li>[^<]+<\/li>/);
    expect(secretIn(res.html)).toBeNull();
    expect(await endpoints(partner.id)).toEqual([]);
  });

  it("edits the endpoint's events and description, then disables and enables it", async () => {
    const { cookie, hook, url } = await userWithEndpoint();
    const path = `/dashboard/webhooks/${hook.id}`;
    const shown = await page(path, { cookie });
    expect(shown.status).toBe(200);
    expect(shown.html).toContain("Save endpoint");
    expect(shown.html).toContain("Disable endpoint");
    expectNoInlineCode(shown);

    const saved = await page(path, { cookie, form: { url, events: ["key.rotated", "partner.updated"], description: "" } });
    expect([saved.status, saved.location]).toEqual([303, `${path}?done=saved`]);
    expect((await call(`/v1/webhooks/${hook.id}`)).body).toMatchObject({ events: ["key.rotated", "partner.updated"], description: null });
    expect((await page(`${path}?done=saved`, { cookie })).html).toContain("Endpoint saved.");

    const refused = await page(path, { cookie, form: { url, events: [] } });
    expect(refused.status).toBe(200);
    expect(refused.html).toMatch(/id="events-errors"/);

    const disabled = await page(`${path}/disable`, { cookie, form: {} });
    expect([disabled.status, disabled.location]).toEqual([303, `${path}?done=disabled`]);
    expect((await call(`/v1/webhooks/${hook.id}`)).body.status).toBe("disabled");
    const off = await page(path, { cookie });
    expect(off.html).toContain("Enable endpoint");
    expect(off.html).toContain('<span class="badge badge-disabled">Disabled</span>');

    const enabled = await page(`${path}/enable`, { cookie, form: {} });
    expect([enabled.status, enabled.location]).toEqual([303, `${path}?done=enabled`]);
    expect((await call(`/v1/webhooks/${hook.id}`)).body.status).toBe("enabled");
  });

  it("rotates the secret: the new one is shown once, with word that both secrets sign for 24 hours", async () => {
    const { cookie, hook, created } = await userWithEndpoint();
    const first = secretIn(created.html);
    const rotated = await page(`/dashboard/webhooks/${hook.id}/rotate-secret`, { cookie, form: {} });
    expect(rotated.status).toBe(200);
    const second = secretIn(rotated.html);
    expect(second).toMatch(/^whsec_/);
    expect(second).not.toBe(first);
    expect(rotated.html).toContain("For the next 24 hours deliveries are signed with both the previous secret and this one");
    expect(secretIn((await page(`/dashboard/webhooks/${hook.id}`, { cookie })).html)).toBeNull();
  });

  it("deletes an endpoint only after a confirmation page", async () => {
    const { cookie, hook, partner } = await userWithEndpoint();
    const confirm = await page(`/dashboard/webhooks/${hook.id}/delete`, { cookie });
    expect(confirm.status).toBe(200);
    expect(confirm.html).toContain("Delete this endpoint?");
    expect(confirm.html).toContain(`action="/dashboard/webhooks/${hook.id}/delete"`);
    expect(await endpoints(partner.id)).toHaveLength(1);

    const deleted = await page(`/dashboard/webhooks/${hook.id}/delete`, { cookie, form: {} });
    expect([deleted.status, deleted.location]).toEqual([303, "/dashboard/webhooks?done=deleted"]);
    expect(await endpoints(partner.id)).toEqual([]);
    expect((await page("/dashboard/webhooks?done=deleted", { cookie })).html).toContain("The endpoint is deleted");
    expect((await page(`/dashboard/webhooks/${hook.id}`, { cookie })).status).toBe(404);
  });

  it("lists delivery attempts in the log, and Redeliver queues a new attempt; the API's 409 shows while one is pending", async () => {
    const { cookie, hook, partner } = await userWithEndpoint(["key.created"]);
    await createKey(partner.id, { name: "produces key.created" });
    const rows = await deliveriesUntil(hook.id, (r) => r.some((d) => d.status === "delivered" || d.status === "failed"));
    const first = rows.find((d) => d.attempt === 1)!;
    expect(first).toMatchObject({ type: "key.created", status: "delivered", status_code: 204 });

    const log = await page(`/dashboard/webhooks/${hook.id}`, { cookie });
    const row = new RegExp(`<tr data-delivery="${first.id}">([\\s\\S]*?)</tr>`).exec(log.html)?.[1] ?? "";
    expect(row).toContain("key.created");
    expect(row).toContain('<span class="badge badge-delivered">Delivered</span>');
    expect(row).toContain("<code>204</code>");
    expect(row).toContain(`action="/dashboard/webhooks/${hook.id}/deliveries/${first.id}/redeliver"`);

    const again = await page(`/dashboard/webhooks/${hook.id}/deliveries/${first.id}/redeliver`, { cookie, form: {} });
    expect([again.status, again.location]).toEqual([303, `/dashboard/webhooks/${hook.id}?done=redelivered#deliveries`]);
    const after = await deliveriesUntil(hook.id, (r) => r.some((d) => d.attempt === 2));
    const second = after.find((d) => d.attempt === 2)!;
    expect(second.event_id).toBe(first.event_id);
    const shown = await page(`/dashboard/webhooks/${hook.id}?done=redelivered`, { cookie });
    expect(shown.html).toContain("A new attempt is queued");
    expect(shown.html).toContain(`<tr data-delivery="${second.id}">`);

    // An attempt of the same event still pending (queued here without a message, so it stays queued): the API says 409.
    const event = { id: first.event_id, type: first.type };
    await queueAttempts(env.DB, event, [hook.id], 9, new Date(Date.now() + 3_600_000).toISOString());
    const pending = await page(`/dashboard/webhooks/${hook.id}/deliveries/${first.id}/redeliver`, { cookie, form: {} });
    expect(pending.status).toBe(200);
    expect(pending.html).toContain("A newer attempt of this event is still queued or sending.");
    expect(pending.html).toContain('<span class="badge badge-queued">Queued</span>');
  }, 60_000);
});

describe("who sees which webhooks", () => {
  it("a user of partner A gets 404 for partner B's endpoint, its pages and its actions", async () => {
    const b = await userWithEndpoint();
    const a = await partnerUser();
    const cookie = await signIn(a.pat);
    for (const path of [`/dashboard/webhooks/${b.hook.id}`, `/dashboard/webhooks/${b.hook.id}/delete`]) {
      const res = await page(path, { cookie });
      expect([path, res.status]).toEqual([path, 404]);
      expect(res.html).toContain("Page not found");
      expect(res.html).not.toContain(b.url);
    }
    for (const action of ["", "/disable", "/rotate-secret", "/delete"]) {
      const res = await page(`/dashboard/webhooks/${b.hook.id}${action}`, { cookie, form: { url: "http://127.0.0.1:9/x", events: ["key.created"] } });
      expect([action, res.status]).toEqual([action, 404]);
    }
    expect((await call(`/v1/webhooks/${b.hook.id}`)).body).toMatchObject({ url: b.url, status: "enabled" });
    // Nor through a portal path: those are the operator's.
    expect((await page(`/dashboard/partners/${b.partner.id}/webhooks`, { cookie })).status).toBe(404);
  });

  it("a user without webhooks:write sees the endpoints but no forms, and a forged POST is refused by the API (403)", async () => {
    const owner = await userWithEndpoint();
    // Another user of the same partner, whose permissions leave out webhooks:write (its token holds it: the user's limit wins).
    const user = await createUser(owner.partner.id, { permissions: PORTAL_SCOPES.filter((s) => s !== "webhooks:write") });
    const pat = await createKey(owner.partner.id, { name: "reader", type: "personal", user_id: user.id, scopes: PORTAL_SCOPES });
    const cookie = await signIn(pat.key);

    const list = await page("/dashboard/webhooks", { cookie });
    expect(list.status).toBe(200);
    expect(list.html).toContain(owner.url);
    expect(list.html).not.toContain("<form method=\"post\" action=\"/dashboard/webhooks\"");
    const shown = await page(`/dashboard/webhooks/${owner.hook.id}`, { cookie });
    expect(shown.status).toBe(200);
    expect(shown.html).toContain("Delivery log");
    for (const text of ["Save endpoint", "Disable endpoint", "Rotate secret", "Delete this endpoint", "Redeliver"]) expect(shown.html).not.toContain(text);

    const forgedCreate = await page("/dashboard/webhooks", { cookie, form: { url: "http://127.0.0.1:9/forged", events: ["key.created"] } });
    expect(forgedCreate.status).toBe(403);
    expect(forgedCreate.html).toContain("Not allowed");
    expect(forgedCreate.html).toContain("webhooks:write");
    const forgedDisable = await page(`/dashboard/webhooks/${owner.hook.id}/disable`, { cookie, form: {} });
    expect(forgedDisable.status).toBe(403);
    expect(await endpoints(owner.partner.id)).toMatchObject([{ id: owner.hook.id, status: "enabled" }]);
  });

  it("a user without webhooks:read has no Webhooks entry in the nav, and the page is refused", async () => {
    const { pat } = await partnerUser({ scopes: ["keys:read", "keys:write", "users:read", "audit:read"] });
    const cookie = await signIn(pat);
    const overview = await page("/dashboard", { cookie });
    expect(overview.html).not.toContain('href="/dashboard/webhooks"');
    expect((await page("/dashboard/webhooks", { cookie })).status).toBe(403);
  });
});

describe("the operator's webhooks", () => {
  it("manages its own endpoints at /dashboard/webhooks, apart from each partner's, which its portal view lists", async () => {
    const partnerSide = await userWithEndpoint();
    const cookie = await signIn(ADMIN);
    const { url } = receiverPath();
    const created = await page("/dashboard/webhooks", { cookie, form: { url, events: ["partner.created"] } });
    expect(created.status).toBe(201);
    expect(secretIn(created.html)).toMatch(/^whsec_/);
    const own = ((await call("/v1/webhooks")).body.data as { id: string; url: string }[]).find((h) => h.url === url)!;
    expect(own).toBeDefined();

    const list = await page("/dashboard/webhooks", { cookie });
    expect(list.html).toContain(`href="/dashboard/webhooks/${own.id}"`);
    expect(list.html).not.toContain(partnerSide.hook.id);
    expect(list.html).toMatch(/<a href="\/dashboard\/webhooks" aria-current="page">Webhooks<\/a>/);
    expect((await page(`/dashboard/webhooks/${own.id}`, { cookie })).status).toBe(200);

    // The partner's portal, as the operator sees it: its endpoints, with the same pages.
    const base = `/dashboard/partners/${partnerSide.partner.id}`;
    const portal = await page(`${base}/webhooks`, { cookie });
    expect(portal.status).toBe(200);
    expect(portal.html).toContain(`href="${base}/webhooks/${partnerSide.hook.id}"`);
    expect(portal.html).toContain(`href="${base}/webhooks" aria-current="page"`);
    expect((await page(`${base}/webhooks/${partnerSide.hook.id}`, { cookie })).status).toBe(200);
    const edited = await page(`${base}/webhooks/${partnerSide.hook.id}`, { cookie, form: { url: partnerSide.url, events: ["key.leaked"] } });
    expect([edited.status, edited.location]).toEqual([303, `${base}/webhooks/${partnerSide.hook.id}?done=saved`]);
    // Each endpoint lives at its owner's pages only.
    expect((await page(`/dashboard/webhooks/${partnerSide.hook.id}`, { cookie })).status).toBe(404);
    expect((await page(`${base}/webhooks/${own.id}`, { cookie })).status).toBe(404);

    const deleted = await page(`/dashboard/webhooks/${own.id}/delete`, { cookie, form: {} });
    expect([deleted.status, deleted.location]).toEqual([303, "/dashboard/webhooks?done=deleted"]);
  });
});
