import { describe, expect, it } from "vitest";
import { call, createKey, createPartner, createUser } from "../helpers";

// Seed 001: GET /v2/me/apikey — "Get information about the API key used for this request".
const ua = { "user-agent": "ExampleApp/v1.0" };

function expectMineSkinError(body: any, code: string) {
  expect(Object.keys(body).sort()).toEqual(["errors", "links", "messages", "success", "warnings"]);
  expect(body.success).toBe(false);
  expect(body.errors).toEqual([{ code, message: expect.any(String) }]);
  expect(body.warnings).toEqual([]);
  expect(body.messages).toEqual([]);
  expect(body.links).toEqual({ self: "/v2/me/apikey" });
}

describe("MineSkin GET /v2/me/apikey", () => {
  it("returns the key in MineSkin's shape", async () => {
    const partner = await createPartner();
    const user = await createUser(partner.id);
    const { key, api_key } = await createKey(partner.id, {
      name: "Test Key",
      user_id: user.id,
      allowed_ips: ["12.34.56.78"],
      allowed_agents: ["MineSkin-Test-App"],
      credits_remaining: 100,
    });
    const res = await call("/v2/me/apikey", { auth: key, headers: { "user-agent": "MineSkin-Test-App/1.0", "cf-connecting-ip": "12.34.56.78" } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      key: {
        id: api_key.id,
        name: "Test Key",
        user: user.id,
        createdAt: api_key.created_at,
        allowedOrigins: [],
        allowedIps: ["12.34.56.78"],
        allowedAgents: ["MineSkin-Test-App"],
        useCredits: true,
      },
    });
    expect(res.body.key.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("reports useCredits false for a key without a credit balance", async () => {
    const partner = await createPartner();
    const { key } = await createKey(partner.id);
    expect((await call("/v2/me/apikey", { auth: key, headers: ua })).body.key.useCredits).toBe(false);
  });

  it("reports useCredits true for a key of a partner holding shared credits (MineSkin's account credits)", async () => {
    const partner = await createPartner({ credits_remaining: 100 });
    const { key } = await createKey(partner.id);
    expect((await call("/v2/me/apikey", { auth: key, headers: ua })).body.key.useCredits).toBe(true);
  });

  it("accepts MineSkin-User-Agent in place of User-Agent", async () => {
    const partner = await createPartner();
    const { key } = await createKey(partner.id);
    const res = await call("/v2/me/apikey", { auth: key, headers: { "user-agent": "", "mineskin-user-agent": "ExampleApp/v1.0" } });
    expect(res.status).toBe(200);
  });

  it("requires a User-Agent, answering 403 in MineSkin's error envelope", async () => {
    const partner = await createPartner();
    const { key } = await createKey(partner.id);
    const res = await call("/v2/me/apikey", { auth: key, headers: { "user-agent": "" } });
    expect(res.status).toBe(403);
    expectMineSkinError(res.body, "invalid_user_agent");
  });

  it("answers a missing or bad key with 403 in MineSkin's error envelope", async () => {
    for (const auth of [null, "da84de82e960d6c0510088279878c79365ad5118d350d619f20324a5494f156b"]) {
      const res = await call("/v2/me/apikey", { auth, headers: ua });
      expect(res.status).toBe(403);
      expect(res.headers.get("content-type")).toContain("application/json");
      expect(res.headers.get("x-request-id")).toBeTruthy();
      expectMineSkinError(res.body, "invalid_api_key");
    }
  });

  it("reports allowlist refusals in the same envelope", async () => {
    const partner = await createPartner();
    const { key } = await createKey(partner.id, { allowed_agents: ["OnlyThisApp"] });
    const res = await call("/v2/me/apikey", { auth: key, headers: ua });
    expect(res.status).toBe(403);
    expectMineSkinError(res.body, "agent_not_allowed");
  });
});
