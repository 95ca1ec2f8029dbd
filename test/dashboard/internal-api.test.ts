import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { attachPrincipal } from "../../src/auth/internal-principal";
import { keyPrincipal, operatorPrincipal } from "../../src/auth/principal";
import { loadKeyAuthRecord } from "../../src/db/keys";
import { createKey } from "../helpers";
import { env, partnerUser, signIn } from "./helpers";

// The dashboard acts through the API by handing the app Request objects it made itself, with the
// session's principal attached (src/auth/internal-principal.ts). These tests show that the attachment
// is the only way in: a request from outside, with no credential, stays 401 on the same routes.

/** From outside: through the Worker's entrypoint. */
const fetchApp = (request: Request) => exports.default.fetch(request);
/** From inside the isolate, as the dashboard does: the app's own fetch, the Request object handed over as is. */
const app = createApp();
const fetchInside = (request: Request) => app.fetch(request, env);

/** The routes the dashboard calls, as the partner user's portal calls them. */
function dashboardRoutes(partnerId: string, keyId: string, userId: string): [string, string, unknown?][] {
  return [
    ["GET", `/v1/partners/${partnerId}/keys`],
    ["POST", `/v1/partners/${partnerId}/keys`, { name: "x", type: "secret", scopes: [] }],
    ["GET", `/v1/keys/${keyId}?all_permissions=true&expand=actors,user`],
    ["PATCH", `/v1/keys/${keyId}`, { allowed_ips: [] }],
    ["POST", `/v1/keys/${keyId}/rotate`, { grace_period_seconds: 0 }],
    ["POST", `/v1/keys/${keyId}/revoke`, {}],
    ["GET", `/v1/partners/${partnerId}/users`],
    ["POST", `/v1/partners/${partnerId}/users`, { first_name: "a", last_name: "b", email: "a@b.example", role: "R" }],
    ["GET", `/v1/users/${userId}`],
    ["GET", `/v1/partners/${partnerId}/audit-events`],
    ["GET", `/v1/partners`],
    ["GET", `/v1/audit-events`],
    ["PATCH", `/v1/partners/${partnerId}`, { status: "active" }],
  ];
}

function request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Request(`http://keyward.test${path}`, {
    method,
    headers: { ...headers, ...(text ? { "content-type": "application/json", "content-length": String(text.length) } : {}) },
    body: text,
  });
}

describe("requests the dashboard makes for its session", () => {
  it("from outside, the same requests with no credential (or only a session cookie) are 401", async () => {
    const { partner, pat, patId, user } = await partnerUser();
    const cookie = await signIn(pat);
    for (const [method, path, body] of dashboardRoutes(partner.id, patId, user.id)) {
      for (const headers of [{}, { cookie }] as Record<string, string>[]) {
        const res = await fetchApp(request(method, path, body, headers));
        expect([method, path, res.status]).toEqual([method, path, 401]);
        expect(((await res.json()) as { code: string }).code).toBe("invalid_api_key");
      }
    }
    expect((await fetchApp(request("GET", `/v1/keys/${patId}`))).status).toBe(401);
  });

  it("with a principal attached, are served as that principal, and `accept` still holds", async () => {
    const { partner, patId } = await partnerUser();
    const record = (await loadKeyAuthRecord(env.DB, patId))!;
    const scopes = record.key.scopes;
    const asUser = () => ({ ...keyPrincipal({ auth: record, keyScopes: scopes, scopes, credits: null }), actor: record.user!.id });

    const own = await fetchInside(attachPrincipal(request("GET", `/v1/partners/${partner.id}/keys`), asUser()));
    expect(own.status).toBe(200);
    // A key principal on an operator-only route is refused as any valid key would be.
    const operatorOnly = await fetchInside(attachPrincipal(request("GET", "/v1/partners"), asUser()));
    expect([operatorOnly.status, ((await operatorOnly.json()) as { code: string }).code]).toEqual([403, "operator_only"]);
    // The operator principal on a key-only route is no key.
    expect((await fetchInside(attachPrincipal(request("GET", "/v1/me/key"), operatorPrincipal))).status).toBe(401);
    // Another partner's objects are 404 to it, as to the token itself.
    const other = await createKey((await partnerUser()).partner.id, { name: "theirs" });
    expect((await fetchInside(attachPrincipal(request("GET", `/v1/keys/${other.api_key.id}`), asUser()))).status).toBe(404);
  });

  it("the attachment is to that Request object only: a copy of it carries nothing", async () => {
    const { partner } = await partnerUser();
    const original = attachPrincipal(request("GET", `/v1/partners/${partner.id}/keys`), operatorPrincipal);
    expect((await fetchInside(new Request(original))).status).toBe(401);
    expect((await fetchInside(original)).status).toBe(200);
  });
});
