import { describe, expect, it } from "vitest";
import { call, createKey, createPartner, createUser, tamper } from "./helpers";

describe("app", () => {
  it("serves a valid OpenAPI 3.1 document covering every route with security schemes", async () => {
    const res = await call("/openapi.json", { auth: null });
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe("3.1.0");
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes.sort()).toEqual(
      [
        "GET /healthz", "POST /v1/partners", "GET /v1/partners", "GET /v1/partners/{partner_id}", "PATCH /v1/partners/{partner_id}",
        "POST /v1/partners/{partner_id}/users", "GET /v1/partners/{partner_id}/users", "GET /v1/users/{user_id}",
        "PATCH /v1/users/{user_id}",
        "POST /v1/partners/{partner_id}/keys", "GET /v1/partners/{partner_id}/keys", "GET /v1/keys/{key_id}", "PATCH /v1/keys/{key_id}",
        "POST /v1/keys/{key_id}/rotate", "POST /v1/keys/{key_id}/revoke", "GET /v1/me/key", "GET /v1/me/partner",
        "GET /v1/keys/{key_id}/usage", "GET /v1/partners/{partner_id}/usage",
        "GET /v1/partners/{partner_id}/audit-events", "GET /v1/audit-events", "POST /v1/keys/verify", "POST /oauth2/token",
        "GET /api/public/v1/me/partner", "GET /v2/me/apikey", "GET /v1/api-keys/{id}", "GET /.well-known/oauth-authorization-server",
        "POST /v1/partners/{partner_id}/webhooks", "GET /v1/partners/{partner_id}/webhooks", "POST /v1/webhooks", "GET /v1/webhooks",
        "GET /v1/webhooks/{webhook_id}", "PATCH /v1/webhooks/{webhook_id}", "DELETE /v1/webhooks/{webhook_id}",
        "POST /v1/webhooks/{webhook_id}/rotate-secret", "GET /v1/webhooks/{webhook_id}/deliveries",
        "POST /v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
        "POST /v1/leaks",
      ].sort(),
    );
    // Seed routes are tagged per seed system and carry their own schemas.
    expect(doc.paths["/api/public/v1/me/partner"].get.tags).toEqual(["flexslot"]);
    expect(doc.paths["/v2/me/apikey"].get.tags).toEqual(["MineSkin"]);
    expect(doc.paths["/v1/api-keys/{id}"].get.tags).toEqual(["FlexFactor"]);
    expect(doc.paths["/oauth2/token"].post.tags).toEqual(["OAuth2"]);
    for (const schema of ["FlexslotPartner", "MineSkinApiKey", "MineSkinError", "FlexFactorKeyList", "FlexFactorKey", "FlexFactorErrors", "OAuth2Token", "OAuth2Error", "VerifyResult"]) {
      expect(doc.components.schemas).toHaveProperty(schema);
    }
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(["apiKey", "apiKeyHeader", "oauthClientBasic", "operator"]);
    // Every $ref must resolve inside the document.
    const refs = JSON.stringify(doc).match(/"\$ref":"#\/components\/schemas\/[^"]+"/g) ?? [];
    for (const ref of refs) expect(doc.components.schemas).toHaveProperty(ref.split("/").pop()!.replace('"', ""));
    // No document-wide requirement: an operation's own list is all that protects it.
    expect(doc.security).toBeUndefined();
    const PUBLIC = ["GET /healthz", "GET /.well-known/oauth-authorization-server", "POST /v1/leaks"];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops as Record<string, any>)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(op.responses, where).toBeDefined();
        if (PUBLIC.includes(where)) {
          expect(op.security ?? [], where).toEqual([]);
        } else if (where === "POST /oauth2/token") {
          // Its own: client_secret_post (no credential, `{}`) or HTTP Basic client credentials.
          expect(op.security, where).toEqual([{}, { oauthClientBasic: [] }]);
        } else {
          // At least one requirement, and no empty (anonymous) alternative among them.
          expect(op.security, where).toEqual(expect.any(Array));
          expect(op.security.length, where).toBeGreaterThan(0);
          for (const requirement of op.security) {
            expect(Object.keys(requirement).length, `${where} ${JSON.stringify(requirement)}`).toBeGreaterThan(0);
            for (const scheme of Object.keys(requirement)) expect(doc.components.securitySchemes, `${where} ${scheme}`).toHaveProperty(scheme);
          }
        }
      }
    }
  }, 30_000);

  it("gives every operation a unique verbNoun operationId", async () => {
    const doc = (await call("/openapi.json", { auth: null })).body;
    const ids: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops as Record<string, any>)) {
        expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][a-zA-Z0-9]+$/);
        ids.push(op.operationId);
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(["createKey", "verifyKey", "getMyKey", "listPartners", "issueToken", "getAuthorizationServerMetadata"]));
  });

  it("documents response headers: X-Request-Id everywhere, RateLimit fields on key-authenticated operations, Retry-After on 429", async () => {
    const doc = (await call("/openapi.json", { auth: null })).body;
    expect(Object.keys(doc.components.headers).sort()).toEqual(
      ["RateLimit", "RateLimit-Limit", "RateLimit-Policy", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After", "X-Request-Id"].sort(),
    );
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops as Record<string, any>)) {
        const keyAuthenticated = (op.security ?? []).some((r: object) => "apiKey" in r);
        for (const [status, response] of Object.entries(op.responses as Record<string, any>)) {
          const where = `${method} ${path} ${status}`;
          expect(response.headers?.["X-Request-Id"], where).toEqual({ $ref: "#/components/headers/X-Request-Id" });
          if (status === "429") expect(response.headers["Retry-After"], where).toBeDefined();
          if (keyAuthenticated && status.startsWith("2")) {
            for (const name of ["RateLimit-Policy", "RateLimit", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"]) {
              expect(response.headers[name], `${where} ${name}`).toBeDefined();
            }
          }
        }
      }
    }
    expect(doc.components.headers["RateLimit-Policy"].schema.example).toBe('"standard";q=1000;w=60');
  });

  it("lists the configured rate-limit tiers as the enum of every request's rate_limit_tier, and the server's origin", async () => {
    const doc = (await call("/openapi.json", { auth: null })).body;
    // Tier names, never the names of a tier's limits: `burst` holds the limits "burst" and "minute".
    const tiers = ["standard", "premium", "tiny", "small", "shared25", "burst"];
    for (const name of ["ApiKeyCreate", "ApiKeyPatch", "PartnerCreate", "PartnerPatch"]) {
      const tier = doc.components.requestBodies[name].content["application/json"].schema.properties.rate_limit_tier;
      expect(tier.enum.filter((t: string | null) => t !== null).sort(), name).toEqual([...tiers].sort());
    }
    expect(doc.servers).toEqual([{ url: "http://keyward.test" }]);
    // Names that only exist on Object.prototype are unknown tiers, 400.
    const p = await createPartner();
    for (const tier of ["__proto__", "constructor", "toString"]) {
      const res = await call(`/v1/partners/${p.id}/keys`, { body: { name: "k", type: "secret", rate_limit_tier: tier } });
      expect(res.status, tier).toBe(400);
    }
  });

  it("states defaulted request fields as optional input: request-only schemas live under components.requestBodies", async () => {
    const doc = (await call("/openapi.json", { auth: null })).body;
    const body = (name: string) => doc.components.requestBodies[name].content["application/json"].schema;
    expect(body("VerifyRequest").required).toEqual(["key"]);
    expect(body("VerifyRequest").properties.cost.default).toBe(1);
    expect(body("ApiKeyRotate").required).toBeUndefined();
    expect(body("UserCreate").required).not.toContain("kind");
    expect(doc.components.schemas).not.toHaveProperty("VerifyRequest");
    expect(doc.paths["/v1/keys/verify"].post.requestBody).toEqual({ $ref: "#/components/requestBodies/VerifyRequest" });
    // The server agrees: the defaulted fields may be left out.
    const p = await createPartner();
    const { key, api_key } = await createKey(p.id);
    expect((await call("/v1/keys/verify", { body: { key } })).body.valid).toBe(true);
    expect((await call(`/v1/keys/${api_key.id}/rotate`, { body: {} })).status).toBe(200);
    expect((await call(`/v1/partners/${p.id}/users`, { body: { first_name: "A", last_name: "B", email: "a@b.example", role: "R" } })).status).toBe(201);
  });

  it("treats an empty cursor as the first page", async () => {
    const p = await createPartner();
    for (let i = 0; i < 3; i++) await createKey(p.id, { name: `k${i}` });
    for (const path of [`/v1/partners/${p.id}/keys`, `/v1/partners/${p.id}/audit-events`, `/v1/partners/${p.id}/users`, "/v1/partners"]) {
      const first = await call(`${path}?limit=2`);
      const empty = await call(`${path}?limit=2&cursor=`);
      expect(empty.status, path).toBe(200);
      expect(empty.body.data, path).toEqual(first.body.data);
      expect(empty.body.next_cursor, path).toBe(first.body.next_cursor);
    }
    expect((await call(`/v1/partners/${p.id}/keys?cursor=bm9wZQ`)).body.code).toBe("invalid_cursor");
  });

  it("answers unknown routes with 404 and wrong methods with 405 and Allow, as problem+json", async () => {
    const missing = await call("/v2/nothing", { auth: null });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe("route_not_found");
    const wrong = await call("/v1/partners", { method: "DELETE" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toContain("GET");
    expect(wrong.headers.get("content-type")).toContain("application/problem+json");
  });

  it("refuses non-JSON bodies with 415, malformed JSON with 400 and bodies over 1 MiB with 413", async () => {
    const form = await call("/v1/partners", { body: "slug=x", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(form.status).toBe(415);
    expect(form.body.code).toBe("unsupported_media_type");
    const text = await call("/v1/partners", { body: "{}", headers: { "content-type": "text/plain" } });
    expect(text.status).toBe(415);
    const broken = await call("/v1/partners", { body: "{not json" });
    expect(broken.status).toBe(400);
    expect(broken.headers.get("content-type")).toContain("application/problem+json");
    const huge = await call("/v1/partners", { body: JSON.stringify({ name: "x".repeat(1024 * 1024 + 10) }) });
    expect(huge.status).toBe(413);
    expect(huge.body.code).toBe("payload_too_large");
  });

  it("keeps a caller's X-Request-Id and echoes it into problem bodies", async () => {
    const res = await call("/v1/me/key", { auth: null, headers: { "x-request-id": "trace-abc-123" } });
    expect(res.headers.get("x-request-id")).toBe("trace-abc-123");
    expect(res.body.request_id).toBe("trace-abc-123");
  });

  it("never returns a key's secret or its stored hash except the one time it is created or rotated", async () => {
    const SCOPES = ["keys:read", "keys:write", "audit:read", "users:read"];
    const p = await createPartner();
    // The user holds every scope of the key, so the key's reads succeed and their bodies are real ones.
    const user = await createUser(p.id, { permissions: SCOPES });
    const created = await createKey(p.id, { user_id: user.id, scopes: SCOPES });
    const id = created.api_key.id;
    const secret = created.key;
    const { env } = await import("cloudflare:workers");
    const storedHash = async () =>
      (await env.DB.prepare("SELECT secret_hash FROM api_keys WHERE id = ?1").bind(id).first<{ secret_hash: string }>())!.secret_hash;
    const firstHash = await storedHash();
    // The creation is the one response with the first secret.
    expect(secret).toMatch(/^kw_sk_[0-9A-Za-z]{52}$/);

    const readPaths = [
      "/v1/me/key", "/v1/me/partner", `/v1/keys/${id}`, `/v1/keys/${id}?all_permissions=true`,
      `/v1/partners/${p.id}/keys`, `/v1/partners/${p.id}/audit-events`, `/v1/partners/${p.id}/users`, `/v1/users/${user.id}`,
    ];
    const operatorPaths = readPaths.filter((path) => !path.startsWith("/v1/me/")); // /v1/me/* need a key
    const responses: { what: string; res: Awaited<ReturnType<typeof call>>; status: number }[] = [];
    const record = (what: string, status: number, res: Awaited<ReturnType<typeof call>>) => responses.push({ what, res, status });
    const readAll = async (credential: string, when: string) => {
      for (const path of readPaths) await record(`${when} key GET ${path}`, 200, await call(path, { auth: credential }));
      for (const path of operatorPaths) await record(`${when} operator GET ${path}`, 200, await call(path));
    };

    await readAll(secret, "before rotation");
    await record("operator PATCH", 200, await call(`/v1/keys/${id}`, { method: "PATCH", body: { name: "n" } }));
    await record("key PATCH", 200, await call(`/v1/keys/${id}`, { method: "PATCH", auth: secret, body: { description: "d" } }));
    await record("tampered", 401, await call("/v1/me/key", { auth: tamper(secret) }));

    const rotated = await call(`/v1/keys/${id}/rotate`, { body: { grace_period_seconds: 60 } });
    expect(rotated.status).toBe(200);
    const next: string = rotated.body.key;
    expect(next).toMatch(/^kw_sk_[0-9A-Za-z]{52}$/);
    expect(next).not.toBe(secret);
    const secondHash = await storedHash();
    expect(secondHash).not.toBe(firstHash);
    // The rotation shows the new secret once, and nothing of the old one.
    expect(rotated.text).not.toContain(secret.slice(22, 48));
    expect(rotated.text).not.toContain(firstHash);
    expect(rotated.text).not.toContain(secondHash);

    await readAll(next, "after rotation");
    await record("old secret in grace", 200, await call("/v1/me/key", { auth: secret }));
    await record("revoke", 200, await call(`/v1/keys/${id}/revoke`, { method: "POST" }));
    await record("operator GET after revoke", 200, await call(`/v1/keys/${id}`));
    await record("audit after revoke", 200, await call(`/v1/partners/${p.id}/audit-events`));

    expect(responses.length).toBe(2 * (readPaths.length + operatorPaths.length) + 7);
    for (const { what, res, status } of responses) {
      expect(res.status, `${what}: ${res.text}`).toBe(status);
      for (const [name, value] of [["first secret", secret.slice(22, 48)], ["second secret", next.slice(22, 48)], ["first hash", firstHash], ["second hash", secondHash]]) {
        expect(res.text, `${what} shows the ${name}`).not.toContain(value);
      }
      expect(res.text, what).not.toMatch(/secret_hash|previous_secret/);
    }
  });
});
