import { describe, expect, it } from "vitest";
import { createKey } from "../helpers";
import { call, newSecretIn, page, partnerUser, signIn } from "./helpers";

// A token's change through the dashboard meets the token's admission, as the same API request
// would: its rate limit and credits, and §3a's credit rules with its real balance.
describe("dashboard changes under the token's budget", () => {
  it("a credit-limited token makes keys with 0 credits, as through the API, and spends one credit per change", async () => {
    const { partner, pat, patId } = await partnerUser({ keyBody: { credits_remaining: 5 } });
    const cookie = await signIn(pat);
    const res = await page("/dashboard/keys", { cookie, form: { name: "dash-made", type: "secret", scopes: ["charges:read"] } });
    expect(res.status).toBe(201);
    const made = await call("/v1/me/key", { auth: newSecretIn(res.html)! });
    expect(made.status, "a key-made key with 0 credits is refused").toBe(402);
    const list = await call(`/v1/partners/${partner.id}/keys?limit=100`);
    expect(list.body.data.find((k: { name: string }) => k.name === "dash-made").credits_remaining).toBe(0);
    // The change spent one of the token's credits, reading pages none: 5 - 1, minus this call's own.
    await page("/dashboard/keys", { cookie });
    const self = await call("/v1/me/key", { auth: pat });
    expect([self.body.id, self.body.credits_remaining]).toEqual([patId, 3]);
  });

  it("a credit-limited token cannot rotate out a key holding credits (403 scope_escalation, as through the API)", async () => {
    const { partner, pat } = await partnerUser({ keyBody: { credits_remaining: 5 } });
    const rich = await createKey(partner.id, { name: "rich", scopes: ["charges:read"], credits_remaining: 1_000_000 });
    const cookie = await signIn(pat);
    const res = await page(`/dashboard/keys/${rich.api_key.id}/rotate`, { cookie, form: { grace_period_seconds: "0" } });
    expect(newSecretIn(res.html)).toBeNull();
    expect(res.html).toMatch(/credits/i);
    expect((await call(`/v1/keys/${rich.api_key.id}`)).body.secret_rotated_at).toBeNull();
  });

  it("a token out of credits is answered 402 on a change, and one over its rate limit 429 with Retry-After", async () => {
    const broke = await partnerUser({ keyBody: { credits_remaining: 0 } });
    const brokeCookie = await signIn(broke.pat);
    expect((await page("/dashboard/keys", { cookie: brokeCookie })).status, "reading still works").toBe(200);
    const refused = await page("/dashboard/keys", { cookie: brokeCookie, form: { name: "x", type: "secret" } });
    expect([refused.status, refused.html.includes("No credits left")]).toEqual([402, true]);

    const busy = await partnerUser({ keyBody: { rate_limit_tier: "tiny" } });
    const busyCookie = await signIn(busy.pat);
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await page("/dashboard/keys", { cookie: busyCookie, form: { name: `k${i}`, type: "secret" } })).status);
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
    const limited = await page("/dashboard/keys", { cookie: busyCookie, form: { name: "late", type: "secret" } });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
