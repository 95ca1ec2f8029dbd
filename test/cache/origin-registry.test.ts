import { describe, expect, it } from "vitest";
import { call, createKey, createPartner, type Reply } from "../helpers";

const preflight = (origin: string, path = "/v1/me/key") =>
  call(path, {
    method: "OPTIONS",
    auth: null,
    headers: { origin, "access-control-request-method": "GET", "access-control-request-headers": "x-api-key" },
  });

function expectGranted(res: Reply, origin: string, label: string) {
  expect(res.status, `${label}: ${res.text}`).toBe(204);
  expect(res.headers.get("access-control-allow-origin")).toBe(origin);
}

function expectRefused(res: Reply, label: string) {
  expect([res.status, res.body?.code], `${label}: ${res.text}`).toEqual([403, "origin_not_allowed"]);
  expect(res.headers.get("access-control-allow-origin")).toBeNull();
}

async function setStatus(partnerId: string, status: "active" | "suspended" | "revoked") {
  const res = await call(`/v1/partners/${partnerId}`, { method: "PATCH", body: { status } });
  expect([res.status, res.body.status], res.text).toEqual([200, status]);
}

const newOrigin = () => `https://${crypto.randomUUID()}.example`;

describe("CORS origin registry follows the partner's status", () => {
  it("an origin registered only on a key of a partner: preflight 204 while active, 403 right after suspension, 204 again after reactivation", async () => {
    const origin = newOrigin();
    const partner = await createPartner(); // no origins of its own
    const { key } = await createKey(partner.id, { allowed_origins: [origin] });
    expectGranted(await preflight(origin), origin, "active");
    expect((await call("/v1/me/key", { auth: key, headers: { origin } })).headers.get("access-control-allow-origin")).toBe(origin);

    await setStatus(partner.id, "suspended");
    expectRefused(await preflight(origin), "suspended");
    // Also on another path, and repeatedly: nothing re-registers it.
    expectRefused(await preflight(origin, "/v1/me/partner"), "suspended, other path");
    expectRefused(await preflight(origin), "suspended, again");
    // The real request from that browser (whose preflight it may have cached) is refused too.
    const real = await call("/v1/me/key", { auth: key, headers: { origin } });
    expect([real.status, real.body.code]).toEqual([401, "invalid_api_key"]);
    expect(real.headers.get("access-control-allow-origin")).toBeNull();

    await setStatus(partner.id, "active");
    expectGranted(await preflight(origin), origin, "reactivated");
    const after = await call("/v1/me/key", { auth: key, headers: { origin } });
    expect(after.status).toBe(200);
    expect(after.headers.get("access-control-allow-origin")).toBe(origin);
  });

  it("an origin registered on the partner itself: 204 while active, 403 right after suspension, 204 again after reactivation", async () => {
    const origin = newOrigin();
    const partner = await createPartner({ allowed_origins: [origin] });
    expectGranted(await preflight(origin), origin, "active");
    await setStatus(partner.id, "suspended");
    expectRefused(await preflight(origin), "suspended");
    await setStatus(partner.id, "active");
    expectGranted(await preflight(origin), origin, "reactivated");
  });

  it("origins on the partner and on several of its keys all leave on suspension and all return on reactivation", async () => {
    const [own, keyOne, keyTwo] = [newOrigin(), newOrigin(), newOrigin()];
    const partner = await createPartner({ allowed_origins: [own] });
    await createKey(partner.id, { allowed_origins: [keyOne] });
    await createKey(partner.id, { allowed_origins: [keyOne, keyTwo] });
    for (const origin of [own, keyOne, keyTwo]) expectGranted(await preflight(origin), origin, `active ${origin}`);
    await setStatus(partner.id, "suspended");
    for (const origin of [own, keyOne, keyTwo]) expectRefused(await preflight(origin), `suspended ${origin}`);
    await setStatus(partner.id, "active");
    for (const origin of [own, keyOne, keyTwo]) expectGranted(await preflight(origin), origin, `reactivated ${origin}`);
  });

  it("a revoked partner's origins (its own and its keys') leave the registry", async () => {
    const [own, onKey] = [newOrigin(), newOrigin()];
    const partner = await createPartner({ allowed_origins: [own] });
    await createKey(partner.id, { allowed_origins: [onKey] });
    for (const origin of [own, onKey]) expectGranted(await preflight(origin), origin, "active");
    await setStatus(partner.id, "revoked");
    for (const origin of [own, onKey]) expectRefused(await preflight(origin), `revoked ${origin}`);
  });

  it("an origin shared with another active partner's key stays registered when one partner is suspended", async () => {
    const shared = newOrigin();
    const suspended = await createPartner();
    await createKey(suspended.id, { allowed_origins: [shared] });
    const other = await createPartner();
    await createKey(other.id, { allowed_origins: [shared] });
    await setStatus(suspended.id, "suspended");
    expectGranted(await preflight(shared), shared, "still on an active partner's key");
  });

  it("a revoked key's origin does not come back when its partner is reactivated", async () => {
    const origin = newOrigin();
    const partner = await createPartner();
    const { api_key } = await createKey(partner.id, { allowed_origins: [origin] });
    expect((await call(`/v1/keys/${api_key.id}/revoke`, { method: "POST" })).status).toBe(200);
    expectRefused(await preflight(origin), "key revoked");
    await setStatus(partner.id, "suspended");
    await setStatus(partner.id, "active");
    expectRefused(await preflight(origin), "partner reactivated, key still revoked");
  });
});
