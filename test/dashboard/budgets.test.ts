import { describe, expect, it } from "vitest";
import { createKey, createPartner } from "../helpers";
import { ADMIN, call, page, partnerUser, signIn } from "./helpers";

// DESIGN §10 in the dashboard: the operator sets a partner's rate-limit scope, shared credits and
// refill, and a key's credits and refill; partner users see them read-only; every tier shows all
// its limits. The pages only forward to PATCH /v1/partners/{id} and /v1/keys/{id}: the rules are the API's.

/** The value of the details card's term, as text. */
const detail = (html: string, term: string) => {
  const m = new RegExp(`<dt>${term}</dt><dd>([^]*?)</dd>`).exec(html);
  return m ? m[1]!.replace(/<[^>]+>/g, "") : null;
};

describe("budgets in the operator's partner view", () => {
  it("sets the scope, shared credits and a monthly refill; the API and the page show them", async () => {
    const partner = await createPartner({ rate_limit_tier: "burst" });
    const cookie = await signIn(ADMIN);
    const before = await page(`/dashboard/partners/${partner.id}`, { cookie });
    expect(before.status).toBe(200);
    expect(detail(before.html, "Rate-limit scope")).toBe("Per key");
    expect(detail(before.html, "Shared credits")).toBe("Unlimited");
    expect(detail(before.html, "Credit refill")).toBe("None");
    expect(before.html).toContain(`action="/dashboard/partners/${partner.id}/budget"`);
    // A tier of several limits shows every one, in the card and the picker.
    expect(detail(before.html, "Rate-limit tier")).toBe("burst — burst 5/s · minute 20/min");
    expect(before.html).toMatch(/<option value="burst" selected="">burst — burst 5\/s · minute 20\/min<\/option>/);
    expect(before.html).toContain("standard — 1,000/min");

    const form = { rate_limit_scope: "partner", credits_remaining: "5000", refill_interval: "month", refill_amount: "1000", refill_day: "1" };
    const saved = await page(`/dashboard/partners/${partner.id}/budget`, { cookie, form });
    expect([saved.status, saved.location]).toEqual([303, `/dashboard/partners/${partner.id}?done=budget`]);
    const api = (await call(`/v1/partners/${partner.id}`)).body;
    expect(api).toMatchObject({ rate_limit_scope: "partner", credits_remaining: 5000, credits_refill: { amount: 1000, interval: "month", day_of_month: 1 } });
    expect(typeof api.credits_refilled_at).toBe("string");

    const after = await page(`/dashboard/partners/${partner.id}?done=budget`, { cookie });
    expect(after.html).toContain("Rate-limit scope and credits saved.");
    expect(detail(after.html, "Rate-limit scope")).toBe("Shared by the partner");
    expect(detail(after.html, "Shared credits")).toBe("5,000");
    expect(detail(after.html, "Credit refill")).toBe("Up to 1,000 on day 1 of each month (00:00 UTC)");
    expect(after.html).toContain(`<time datetime="${api.credits_refilled_at}"`);
    expect(after.html).toMatch(/<option value="partner" selected="">/);

    // Blank credits and no refill: unlimited again, refill removed.
    const cleared = await page(`/dashboard/partners/${partner.id}/budget`, { cookie, form: { rate_limit_scope: "key", credits_remaining: "", refill_interval: "" } });
    expect(cleared.status).toBe(303);
    expect((await call(`/v1/partners/${partner.id}`)).body).toMatchObject({ rate_limit_scope: "key", credits_remaining: null, credits_refill: null });
  });

  it("shows the API's error next to the refill fields and changes nothing when the refill is invalid", async () => {
    const partner = await createPartner();
    const cookie = await signIn(ADMIN);
    const form = { rate_limit_scope: "partner", credits_remaining: "10", refill_interval: "day", refill_amount: "100", refill_day: "5" };
    const res = await page(`/dashboard/partners/${partner.id}/budget`, { cookie, form });
    expect(res.status).toBe(200);
    expect(res.html).toContain("That did not work.");
    expect(res.html).toMatch(/<ul class="field-errors" id="credits_refill-errors"><li>Day of month: day_of_month goes only with interval month<\/li><\/ul>/);
    // The form keeps what was entered.
    expect(res.html).toMatch(/name="refill_day" type="number"[^>]* value="5"/);
    expect((await call(`/v1/partners/${partner.id}`)).body).toMatchObject({ rate_limit_scope: "key", credits_remaining: null, credits_refill: null, credits_refilled_at: null });
  });
});

describe("budgets on a key's page", () => {
  it("the operator sets a key's credits and daily refill", async () => {
    const partner = await createPartner();
    const key = await createKey(partner.id, { name: "metered", scopes: [] });
    const cookie = await signIn(ADMIN);
    const path = `/dashboard/partners/${partner.id}/keys/${key.api_key.id}`;
    const before = await page(path, { cookie });
    expect(before.html).toContain(`action="${path}/budget"`);
    expect(detail(before.html, "Credits")).toBe("Unlimited");

    const saved = await page(`${path}/budget`, { cookie, form: { credits_remaining: "", refill_interval: "day", refill_amount: "250", refill_day: "" } });
    expect([saved.status, saved.location]).toEqual([303, `${path}?done=budget`]);
    const api = (await call(`/v1/keys/${key.api_key.id}`)).body;
    // An unlimited balance given a refill starts at its amount (the API's rule).
    expect(api).toMatchObject({ credits_remaining: 250, credits_refill: { amount: 250, interval: "day" } });

    const after = await page(`${path}?done=budget`, { cookie });
    expect(after.html).toContain("Credits saved.");
    expect(detail(after.html, "Credits")).toBe("250");
    expect(detail(after.html, "Credit refill")).toBe("Up to 250 every day (00:00 UTC)");

    const bad = await page(`${path}/budget`, { cookie, form: { credits_remaining: "250", refill_interval: "day", refill_amount: "0" } });
    expect(bad.status).toBe(200);
    expect(bad.html).toMatch(/id="credits_refill-errors"><li>Amount: /);
    expect((await call(`/v1/keys/${key.api_key.id}`)).body.credits_refill).toEqual({ amount: 250, interval: "day" });
  });
});

describe("budgets for a partner user", () => {
  it("sees the partner's and a key's budget read-only, and a forged POST changes nothing", async () => {
    const { partner, pat } = await partnerUser();
    expect((await call(`/v1/partners/${partner.id}`, { method: "PATCH", body: { credits_remaining: 42, credits_refill: { amount: 100, interval: "day" } } })).status).toBe(200);
    const key = await createKey(partner.id, { name: "metered", scopes: ["keys:read"], credits_remaining: 7 });
    const cookie = await signIn(pat);

    const overview = await page("/dashboard", { cookie });
    expect(detail(overview.html, "Shared credits")).toBe("42");
    expect(detail(overview.html, "Credit refill")).toBe("Up to 100 every day (00:00 UTC)");
    expect(overview.html).not.toContain("/budget");
    expect(overview.html).not.toContain('name="credits_remaining"');
    const keyPage = await page(`/dashboard/keys/${key.api_key.id}`, { cookie });
    expect(detail(keyPage.html, "Credits")).toBe("7");
    expect(keyPage.html).not.toContain("/budget");
    expect(keyPage.html).not.toContain('name="credits_remaining"');

    const form = { rate_limit_scope: "partner", credits_remaining: "999999", refill_interval: "" };
    for (const path of [`/dashboard/partners/${partner.id}/budget`, `/dashboard/partners/${partner.id}/keys/${key.api_key.id}/budget`, `/dashboard/keys/${key.api_key.id}/budget`, "/dashboard/budget"]) {
      const res = await page(path, { cookie, form });
      expect([path, res.status]).toEqual([path, 404]);
    }
    expect((await call(`/v1/partners/${partner.id}`)).body).toMatchObject({ rate_limit_scope: "key", credits_remaining: 42, credits_refill: { amount: 100, interval: "day" } });
    expect((await call(`/v1/keys/${key.api_key.id}`)).body).toMatchObject({ credits_remaining: 7, credits_refill: null });
  });
});
