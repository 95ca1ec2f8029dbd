import { describe, expect, it } from "vitest";
import { accessToken, call, createKey, createPartner, tamper } from "../helpers";

// Seeds 003 and 004: GET /v1/api-keys/{mid} and GET /v1/api-keys/{id}, with tokens from /oauth2/token.

async function merchant() {
  const partner = await createPartner({ scopes: ["customers:read", "charges:read"] });
  const main = await createKey(partner.id, { name: "My API Key", type: "secret" });
  const front = await createKey(partner.id, { name: "Frontend Key", type: "publishable" });
  return { partner, main, front, token: await accessToken(main.api_key.id, main.key) };
}

describe("FlexFactor GET /v1/api-keys/{mid}", () => {
  it("lists the account's keys with exactly the documented fields", async () => {
    const { partner, main, front, token } = await merchant();
    const res = await call(`/v1/api-keys/${partner.id}`, { auth: token, headers: { accept: "application/json" } });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(["keys"]);
    expect(res.body.keys).toEqual([
      { name: "Frontend Key", type: "publishable", created_at: front.api_key.created_at, last_used: null, last_four: front.key.slice(-4) },
      { name: "My API Key", type: "secret", created_at: main.api_key.created_at, last_used: null, last_four: main.key.slice(-4) },
    ]);
    expect(res.text).not.toContain(main.key);
  });

  it("does not list revoked keys", async () => {
    const { partner, front, token } = await merchant();
    await call(`/v1/keys/${front.api_key.id}/revoke`, { method: "POST" });
    const res = await call(`/v1/api-keys/${partner.id}`, { auth: token });
    expect(res.body.keys.map((k: { name: string }) => k.name)).toEqual(["My API Key"]);
  });

  it("answers another account's mid with the documented 404 body", async () => {
    const { token } = await merchant();
    const other = await createPartner();
    const res = await call(`/v1/api-keys/${other.id}`, { auth: token });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errors: ["API key not found."] });
  });
});

describe("FlexFactor GET /v1/api-keys/{id}", () => {
  it("returns one key in the documented success shape", async () => {
    const { main, token } = await merchant();
    const res = await call(`/v1/api-keys/${main.api_key.id}`, { auth: token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: "SUCCESS",
      success: true,
      id: main.api_key.id,
      name: "My API Key",
      type: "secret",
      scopes: ["customers:read", "charges:read"],
      createdOn: main.api_key.created_at,
      lastUsed: null,
      lastFour: main.key.slice(-4),
      errors: [],
    });
  });

  it("answers an unknown or foreign key with the documented 404 body", async () => {
    const { token } = await merchant();
    const foreign = await createKey((await createPartner()).id);
    for (const id of ["key_0000000000000000", foreign.api_key.id]) {
      const res = await call(`/v1/api-keys/${id}`, { auth: token });
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toContain("application/json");
      expect(res.body).toEqual({ errors: ["API key not found."] });
    }
  });

  it("answers an invalid id with the documented failed-retrieval body", async () => {
    const { token } = await merchant();
    const res = await call("/v1/api-keys/not-a-key-id", { auth: token });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      status: "FAILED", success: false, id: null, name: null, type: null, scopes: null,
      createdOn: null, lastUsed: null, lastFour: null, errors: ["API key not found.", "Invalid API key ID."],
    });
  });

  it("answers a bad, missing or revoked-key token with the documented 401 body", async () => {
    const { main, token } = await merchant();
    for (const auth of [null, "not.a.token", tamper(token, 5)]) {
      const res = await call(`/v1/api-keys/${main.api_key.id}`, { auth });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ errors: ["Authentication failed. Invalid bearer token."] });
    }
    await call(`/v1/keys/${main.api_key.id}/revoke`, { method: "POST" });
    const res = await call(`/v1/api-keys/${main.api_key.id}`, { auth: token });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ errors: ["Authentication failed. Invalid bearer token."] });
  });

  it("keeps key metadata from publishable keys", async () => {
    const { partner, front } = await merchant();
    const res = await call(`/v1/api-keys/${partner.id}`, { auth: front.key });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: [expect.any(String)] });
  });
});
