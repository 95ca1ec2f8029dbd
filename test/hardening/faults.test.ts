import { describe, expect, it } from "vitest";
import { dropIsolateCache } from "../../src/cache/key-records";
import { ADMIN, call, createKey, createPartner, env, partnerWithKey } from "../helpers";
import { callWith } from "./faulty-env";

function expectUnavailable(res: { status: number; headers: Headers; body: any; text: string }, code = "storage_unavailable") {
  expect(res.status).toBe(503);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  expect(res.headers.get("retry-after")).toBe("1");
  expect(res.body.code).toBe(code);
  // No internal detail: no stack frames, no binding error messages.
  expect(res.text).not.toMatch(/injected|\bat \w|\.ts:\d|stack/i);
}

describe("D1 failing", () => {
  it("keeps verifying keys held in the isolate cache or in KV", async () => {
    const { key } = await partnerWithKey();
    expect((await call("/v1/me/key", { auth: key })).status).toBe(200);
    expect((await callWith({ d1: "down" }, "/v1/me/key", { auth: key })).status).toBe(200);
    dropIsolateCache();
    expect((await callWith({ d1: "down" }, "/v1/me/key", { auth: key })).status).toBe(200);
  });

  it("fails writes with 503 and Retry-After, leaving nothing half-written", async () => {
    const partner = await createPartner();
    const { api_key } = await createKey(partner.id, { name: "before" });
    const eventsBefore = (await call(`/v1/partners/${partner.id}/audit-events`)).body.data.length;

    expectUnavailable(await callWith({ d1: "batch" }, `/v1/keys/${api_key.id}`, { method: "PATCH", auth: ADMIN, body: { name: "after" } }));
    expectUnavailable(await callWith({ d1: "batch" }, `/v1/keys/${api_key.id}/revoke`, { method: "POST", auth: ADMIN }));
    expectUnavailable(await callWith({ d1: "batch" }, `/v1/partners/${partner.id}/keys`, { auth: ADMIN, body: { name: "new", type: "secret" } }));
    expectUnavailable(await callWith({ d1: "down" }, `/v1/partners/${partner.id}/users`, { auth: ADMIN, body: { first_name: "a", last_name: "b", email: "x@y.example", role: "R" } }));

    const row = await env.DB.prepare("SELECT name, revoked_at, version FROM api_keys WHERE id = ?1").bind(api_key.id).first();
    expect(row).toEqual({ name: "before", revoked_at: null, version: 1 });
    expect((await call(`/v1/partners/${partner.id}/keys`)).body.data).toHaveLength(1);
    expect((await call(`/v1/partners/${partner.id}/users`)).body.data).toHaveLength(0);
    expect((await call(`/v1/partners/${partner.id}/audit-events`)).body.data).toHaveLength(eventsBefore);
  });
});

describe("KV failing", () => {
  it("serves cold keys from D1 and still accepts writes, with revocation immediate", async () => {
    const { key, apiKey } = await partnerWithKey();
    dropIsolateCache();
    expect((await callWith({ kv: "down" }, "/v1/me/key", { auth: key })).status).toBe(200);
    expect((await callWith({ kv: "down" }, `/v1/keys/${apiKey.id}`, { method: "PATCH", auth: ADMIN, body: { name: "renamed" } })).status).toBe(200);
    expect((await callWith({ kv: "down" }, `/v1/keys/${apiKey.id}/revoke`, { method: "POST", auth: ADMIN })).status).toBe(200);
    expect((await call("/v1/me/key", { auth: key })).status).toBe(401);
  });
});

describe("the Durable Object failing", () => {
  it("fails closed with 503 by default", async () => {
    const { key } = await partnerWithKey();
    expectUnavailable(await callWith({ do: "down" }, "/v1/me/key", { auth: key }));
  });

  it("with GUARD_FAILURE_MODE=open waives only the rate limit: revoked keys and credit keys are still refused", async () => {
    const open = { GUARD_FAILURE_MODE: "open" };
    const { key } = await partnerWithKey();
    const ok = await callWith({ do: "down" }, "/v1/me/key", { auth: key, vars: open });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("ratelimit-limit")).toBe("1000");

    const { key: paid } = await partnerWithKey({ credits_remaining: 5 });
    expectUnavailable(await callWith({ do: "down" }, "/v1/me/key", { auth: paid, vars: open }));

    const { key: gone, apiKey } = await partnerWithKey();
    await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST" });
    expect((await callWith({ do: "down" }, "/v1/me/key", { auth: gone, vars: open })).status).toBe(401);
  });

  it("a revoke whose propagation fails says so, still takes effect, and a repeat completes it", async () => {
    const { key, apiKey } = await partnerWithKey();
    expect((await call("/v1/me/key", { auth: key })).status).toBe(200);
    const res = await callWith({ do: "down" }, `/v1/keys/${apiKey.id}/revoke`, { method: "POST", auth: ADMIN });
    expectUnavailable(res, "propagation_pending");
    expect(res.body.detail).toMatch(/saved/);
    expect((await call("/v1/me/key", { auth: key })).status).toBe(401);
    const again = await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST" });
    expect(again.status).toBe(200);
    expect(again.body.status).toBe("revoked");
  });
});
