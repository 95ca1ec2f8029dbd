import { describe, expect, it } from "vitest";
import { ADMIN, call, createKey, createPartner, createUser } from "./helpers";

const ALL_SCOPES = ["keys:read", "keys:write", "keys:verify", "users:read", "users:write", "audit:read", "webhooks:read", "webhooks:write"];

type Requirement = Record<string, string[]>;
interface Operation {
  method: string;
  path: string;
  security: Requirement[];
  responses: Record<string, unknown>;
}

async function operations(): Promise<Operation[]> {
  const doc = (await call("/openapi.json", { auth: null })).body;
  return Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, security: op.security ?? [], responses: op.responses })),
  );
}

const needsCredential = (op: Operation) => op.security.some((req) => Object.keys(req).length > 0 && !("oauthClientBasic" in req));
const acceptsOperator = (op: Operation) => op.security.some((req) => "operator" in req);
const acceptsKey = (op: Operation) => op.security.some((req) => "apiKey" in req);
const scopeOf = (op: Operation) => op.security.find((req) => "apiKey" in req)?.apiKey?.[0];

/**
 * These tests read who may call each operation from the OpenAPI document alone, then check the
 * running Worker enforces exactly that: the document and the middleware come from one `access`
 * field (src/hono.ts), and this is what keeps them from drifting.
 */
describe("every authenticated route enforces the access its OpenAPI security declares", () => {
  async function fixture() {
    const partner = await createPartner({ scopes: ALL_SCOPES });
    const user = await createUser(partner.id, { permissions: ALL_SCOPES });
    const target = await createKey(partner.id, { scopes: ["keys:read"] });
    const ids: Record<string, string> = { partner_id: partner.id, key_id: target.api_key.id, user_id: user.id, id: target.api_key.id };
    const pathOf = (op: Operation) => op.path.replace(/\{(\w+)\}/g, (_, name: string) => ids[name] ?? "x");
    const send = (op: Operation, auth: string | null) =>
      call(pathOf(op), {
        method: op.method,
        auth,
        headers: { "user-agent": "KeywardTest/1.0" },
        ...(op.method === "POST" || op.method === "PATCH" ? { body: {} } : {}),
      });
    return { partner, send };
  }

  it("refuses a request with no credential on every route that declares one, with a status the operation documents", async () => {
    const { send } = await fixture();
    const ops = (await operations()).filter(needsCredential);
    expect(ops.length).toBeGreaterThan(15);
    for (const op of ops) {
      const res = await send(op, null);
      expect(res.status, `${op.method} ${op.path}`).toBeGreaterThanOrEqual(400);
      expect(Object.keys(op.responses), `${op.method} ${op.path} answered ${res.status}`).toContain(String(res.status));
    }
  });

  it("answers a valid key on an operator-only route with 403 operator_only, and the operator token on a key-only route as an invalid key", async () => {
    const { partner, send } = await fixture();
    const { key } = await createKey(partner.id, { scopes: ALL_SCOPES });
    const ops = (await operations()).filter(needsCredential);
    const operatorOnly = ops.filter((op) => acceptsOperator(op) && !acceptsKey(op));
    const keyOnly = ops.filter((op) => acceptsKey(op) && !acceptsOperator(op));
    expect(operatorOnly.length).toBeGreaterThan(0);
    expect(keyOnly.length).toBeGreaterThan(0);
    for (const op of operatorOnly) {
      const res = await send(op, key);
      expect([res.status, res.body?.code], `${op.method} ${op.path}`).toEqual([403, "operator_only"]);
    }
    for (const op of keyOnly) {
      const res = await send(op, ADMIN);
      expect(res.status, `${op.method} ${op.path}`).not.toBeLessThan(400);
      expect(res.body?.code, `${op.method} ${op.path}`).not.toBe("operator_only");
    }
  });

  it("refuses a key lacking the documented scope with 403 insufficient_scope, and lets a key holding only that scope past the check", async () => {
    const { partner, send } = await fixture();
    const scoped = (await operations()).filter((op) => acceptsKey(op) && scopeOf(op) !== undefined);
    expect(new Set(scoped.map(scopeOf))).toEqual(new Set(ALL_SCOPES));
    for (const op of scoped) {
      const scope = scopeOf(op)!;
      const without = await createKey(partner.id, { scopes: ALL_SCOPES.filter((s) => s !== scope) });
      const refused = await send(op, without.key);
      expect([refused.status, refused.body?.code], `${op.method} ${op.path} without ${scope}`).toEqual([403, "insufficient_scope"]);
      const only = await createKey(partner.id, { scopes: [scope] });
      const passed = await send(op, only.key);
      expect(passed.body?.code, `${op.method} ${op.path} with only ${scope}`).not.toBe("insufficient_scope");
      expect(passed.status, `${op.method} ${op.path} with only ${scope}`).not.toBe(401);
    }
  });

  it("lets any valid key, whatever its scopes, past authentication on key routes that declare no scope", async () => {
    const { partner, send } = await fixture();
    const { key } = await createKey(partner.id, { scopes: [] });
    const open = (await operations()).filter((op) => acceptsKey(op) && scopeOf(op) === undefined && !acceptsOperator(op));
    expect(open.length).toBeGreaterThan(0);
    for (const op of open) {
      const res = await send(op, key);
      expect(res.status, `${op.method} ${op.path}: ${res.text}`).toBe(200);
    }
  });
});
