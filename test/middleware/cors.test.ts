import { describe, expect, it } from "vitest";
import { call, createKey, createPartner, partnerWithKey } from "../helpers";

const preflight = (origin: string, path = "/v1/me/key") =>
  call(path, {
    method: "OPTIONS",
    auth: null,
    headers: { origin, "access-control-request-method": "GET", "access-control-request-headers": "x-api-key" },
  });

describe("CORS", () => {
  it("answers a preflight only for an origin registered on an active key or partner", async () => {
    await partnerWithKey({ allowed_origins: ["https://registered-key.example"] });
    await createPartner({ allowed_origins: ["https://registered-partner.example"] });
    for (const origin of ["https://registered-key.example", "https://registered-partner.example"]) {
      const res = await preflight(origin);
      expect(res.status, origin).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBe(origin);
      expect(res.headers.get("access-control-allow-methods")).toBe("GET, POST, PATCH");
      expect(res.headers.get("access-control-allow-headers")).toBe("Authorization, X-API-Key, x-APIKey, Content-Type, MineSkin-User-Agent");
      // Present, and the longest cache browsers honour (Chromium caps at 7200 s).
      expect(res.headers.get("access-control-max-age")).toBe("7200");
      expect(res.headers.get("access-control-allow-credentials")).toBeNull();
      expect(res.headers.get("vary")).toContain("Origin");
    }
    const foreign = await preflight("https://never-registered.example");
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("stops answering preflights for an origin once its last key is revoked or changed", async () => {
    const origin = `https://${crypto.randomUUID()}.example`;
    const { apiKey } = await partnerWithKey({ allowed_origins: [origin] });
    expect((await preflight(origin)).status).toBe(204);
    await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST" });
    expect((await preflight(origin)).status).toBe(403);

    const other = `https://${crypto.randomUUID()}.example`;
    const p = await createPartner();
    const a = await createKey(p.id, { allowed_origins: [other] });
    await createKey(p.id, { allowed_origins: [other] });
    await call(`/v1/keys/${a.api_key.id}`, { method: "PATCH", body: { allowed_origins: [] } });
    expect((await preflight(other)).status).toBe(204);
  });

  it("stops answering for a suspended partner's origins", async () => {
    const origin = `https://${crypto.randomUUID()}.example`;
    const p = await createPartner({ allowed_origins: [origin] });
    expect((await preflight(origin)).status).toBe(204);
    await call(`/v1/partners/${p.id}`, { method: "PATCH", body: { status: "suspended" } });
    expect((await preflight(origin)).status).toBe(403);
  });

  it("lets an allowed origin read the response and its rate-limit headers, never with * or credentials", async () => {
    const { key } = await partnerWithKey({ allowed_origins: ["https://app.example"] });
    const res = await call("/v1/me/key", { auth: key, headers: { origin: "https://app.example" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(res.headers.get("access-control-expose-headers")).toContain("RateLimit-Remaining");
    expect(res.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("sends Vary: Origin on every response, errors included", async () => {
    for (const res of [await call("/healthz", { auth: null }), await call("/v1/me/key", { auth: null }), await call("/nope", { auth: null }), await call("/v1/partners")]) {
      expect(res.headers.get("vary")).toContain("Origin");
    }
  });
});
