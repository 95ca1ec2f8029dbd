import { describe, expect, it } from "vitest";
import { createKey, createPartner } from "../helpers";
import { newReporter, report } from "../events/leaks/reporter";
import { ADMIN, call, page, partnerUser, signIn } from "./helpers";

// DESIGN §9 in the dashboard: a key a leak report named says so on its page and in the list, and
// the operator (only) chooses what a signed report does to a partner's keys. The pages only show
// and forward: what a report does, and who may change `leak_action`, are the API's.

const item = (token: string) => ({ token, type: "keyward_secret_key", url: "https://github.com/acme/app/blob/main/.env", source: "content" });

/** The keys list's row that links to `keyId`. */
const rowOf = (html: string, keyId: string) => html.split("<tr>").find((row) => row.includes(`/keys/${keyId}"`)) ?? "";

describe("a leaked key in the portal", () => {
  it("an unsigned report flags the key: its page says Leaked with when, the list marks it, and it keeps working", async () => {
    const { partner, pat } = await partnerUser();
    const leaked = await createKey(partner.id, { name: "on github", scopes: ["keys:read"] });
    const clean = await createKey(partner.id, { name: "still secret", scopes: ["keys:read"] });
    const res = await report([item(leaked.key)]);
    expect(res.status, res.text).toBe(200);
    const { leaked_at, status } = (await call(`/v1/keys/${leaked.api_key.id}`)).body;
    expect([typeof leaked_at, status]).toEqual(["string", "active"]);

    const cookie = await signIn(pat);
    const keyPage = await page(`/dashboard/keys/${leaked.api_key.id}`, { cookie });
    expect(keyPage.status).toBe(200);
    expect(keyPage.html).toMatch(/<h1>[^]*badge-leaked[^]*<\/h1>/);
    expect(keyPage.html).toMatch(/data-testid="key-leaked"[^>]*><strong>Leaked:<\/strong> a leak report named this key on <time datetime="([^"]+)"/);
    expect(keyPage.html).toContain(`<time datetime="${leaked_at}"`);
    expect(keyPage.html).toContain("It still works: rotate its secret, or revoke it");
    // Still active, so the rotate and revoke forms are there to act on it.
    expect(keyPage.html).toContain(`action="/dashboard/keys/${leaked.api_key.id}/rotate"`);

    const list = await page("/dashboard/keys", { cookie });
    expect(rowOf(list.html, leaked.api_key.id)).toMatch(/badge-active[^]*badge-leaked/);
    expect(rowOf(list.html, clean.api_key.id)).toContain("badge-active");
    expect(rowOf(list.html, clean.api_key.id)).not.toContain("badge-leaked");
    expect(await page(`/dashboard/keys/${clean.api_key.id}`, { cookie }).then((p) => p.html)).not.toContain("key-leaked");

    // The operator's view of the partner shows the same.
    const operator = await signIn(ADMIN);
    const seen = await page(`/dashboard/partners/${partner.id}/keys/${leaked.api_key.id}`, { cookie: operator });
    expect(seen.html).toContain('data-testid="key-leaked"');
  });

  it("a signed report revokes the key: its page says it was revoked by a leak report, and the audit log names the report", async () => {
    const reporter = await newReporter();
    const { partner, pat } = await partnerUser();
    const leaked = await createKey(partner.id, { name: "pushed", scopes: ["keys:read"] });
    expect((await report([item(leaked.key)], { signedBy: reporter })).status).toBe(200);

    const cookie = await signIn(pat);
    const keyPage = await page(`/dashboard/keys/${leaked.api_key.id}`, { cookie });
    expect(keyPage.html).toContain("badge-revoked");
    expect(keyPage.html).toContain("badge-leaked");
    expect(keyPage.html).toContain("It no longer works");
    expect(keyPage.html).toMatch(/<dt>Revoked<\/dt><dd><time [^>]+>[^<]+<\/time> by a leak report<\/dd>/);
    const audit = await page("/dashboard/audit", { cookie });
    expect(audit.html).toContain("Key reported leaked");
    expect(audit.html).toContain("A leak report");
  });
});

describe("a partner's leak_action in the operator console", () => {
  it("the operator sees revoke by default, changes it to notify, and the API then answers notify", async () => {
    const partner = await createPartner();
    const cookie = await signIn(ADMIN);
    const before = await page(`/dashboard/partners/${partner.id}`, { cookie });
    expect(before.html).toContain(`action="/dashboard/partners/${partner.id}/leak-action"`);
    expect(before.html).toMatch(/<option value="revoke" selected="">Revoke<\/option>/);
    expect(before.html).toContain("Notify only: the key is flagged as leaked");

    const saved = await page(`/dashboard/partners/${partner.id}/leak-action`, { cookie, form: { leak_action: "notify" } });
    expect([saved.status, saved.location]).toEqual([303, `/dashboard/partners/${partner.id}?done=leak`]);
    expect((await call(`/v1/partners/${partner.id}`)).body.leak_action).toBe("notify");
    const audit = (await call(`/v1/partners/${partner.id}/audit-events`)).body.data;
    expect(audit[0]).toMatchObject({ action: "partner.updated", actor: "operator" });

    const after = await page(`/dashboard/partners/${partner.id}?done=leak`, { cookie });
    expect(after.html).toContain("Leak handling saved.");
    expect(after.html).toMatch(/<option value="notify" selected="">Notify only<\/option>/);
    expect(after.html).toMatch(/<dt>Leaked keys<\/dt><dd>Notify only<\/dd>/);

    // A value the API does not know is its to refuse: the error page, and nothing changes.
    const wrong = await page(`/dashboard/partners/${partner.id}/leak-action`, { cookie, form: { leak_action: "delete" } });
    expect(wrong.status).toBe(400);
    expect((await call(`/v1/partners/${partner.id}`)).body.leak_action).toBe("notify");
  });

  it("a partner user sees the setting but has no form, and a forged POST is refused with nothing changed", async () => {
    const { partner, pat } = await partnerUser();
    const cookie = await signIn(pat);
    const overview = await page("/dashboard", { cookie });
    expect(overview.html).toMatch(/<dt>Leaked keys<\/dt><dd>Revoke<\/dd>/);
    expect(overview.html).not.toContain('name="leak_action"');
    expect(overview.html).not.toContain("/leak-action");

    const forged = await page(`/dashboard/partners/${partner.id}/leak-action`, { cookie, form: { leak_action: "notify" } });
    expect(forged.status).toBe(404);
    // The API refuses it too, whatever the dashboard does: the setting is the operator's.
    const direct = await call(`/v1/partners/${partner.id}`, { method: "PATCH", auth: pat, body: { leak_action: "notify" } });
    expect(direct.status).toBeGreaterThanOrEqual(400);
    expect((await call(`/v1/partners/${partner.id}`)).body.leak_action).toBe("revoke");
  });
});
