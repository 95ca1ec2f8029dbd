import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { call, createKey, createPartner } from "../helpers";

/**
 * DESIGN §3a from the outside: whatever a key with `keys:write` does — create, edit, rotate, any
 * key, itself included — no key of its family ends up looser than the root the operator gave it,
 * and the operator's unfenced sibling is never changed, rotated or revoked by it. The oracle below
 * is written independently of src/auth/authority.ts, on IPv4 integers and plain set inclusion.
 */
const SCOPES = ["keys:read", "keys:write", "charges:read", "charges:write", "reports:read"];
const RESOURCES = ["game-1", "game-2", "game-3"];
const ORIGINS = ["https://a.example", "https://b.example", "https://c.example"];
// Nested and disjoint networks, so containment is tested both ways.
// 10.1.2.0/23 holds 10.1.2.0/24 and is held by 10.1.0.0/16: a wider network whose address lies inside a narrower one.
const NETWORKS = ["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/23", "10.1.2.0/24", "10.1.2.3", "192.168.0.0/16", "192.168.7.0/24"];
const AGENTS = ["AppA", "AppB", "AppC"];
const TIER_LIMITS: Record<string, number> = { standard: 1000, premium: 20000 };

const subsetOf = <T>(items: readonly T[]) => fc.subarray([...items]);
const days = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString();

const u32 = (ip: string) => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
function inside(inner: string, outer: string): boolean {
  const [ia, ip = "32"] = inner.split("/");
  const [oa, op = "32"] = outer.split("/");
  if (Number(ip) < Number(op)) return false;
  const block = 2 ** (32 - Number(op));
  return Math.floor(u32(ia!) / block) === Math.floor(u32(oa!) / block);
}

const fences = fc.record({
  resources: subsetOf(RESOURCES),
  allowed_origins: subsetOf(ORIGINS),
  allowed_ips: subsetOf(NETWORKS),
  allowed_agents: subsetOf(AGENTS),
  expires_at: fc.option(fc.integer({ min: 1, max: 60 }).map(days), { nil: null }),
});
const someFences = fences.chain((all) => subsetOf(Object.keys(all)).map((keys) => Object.fromEntries(keys.map((k) => [k, all[k as keyof typeof all]]))));

const action = fc.oneof(
  fc.record({ kind: fc.constant("create" as const), actor: fc.nat(), scopes: fc.option(subsetOf(SCOPES), { nil: undefined }), fences: someFences }),
  fc.record({ kind: fc.constant("patch" as const), actor: fc.nat(), target: fc.nat(), scopes: fc.option(subsetOf(SCOPES), { nil: undefined }), fences: someFences }),
  fc.record({ kind: fc.constant("rotate" as const), actor: fc.nat(), target: fc.nat() }),
  fc.record({ kind: fc.constant("revoke" as const), actor: fc.nat(), target: fc.nat() }),
);

const root = fc.record({
  scopes: subsetOf(SCOPES).map((s) => [...new Set(["keys:write", ...s])]),
  fences,
  tier: fc.constantFrom("standard", "premium"),
  credits: fc.option(fc.integer({ min: 100, max: 1000 }), { nil: null }),
});

type Key = Record<string, any>;

/** What the request must look like to pass the actor's own allowlists. */
function passing(actor: Key): Record<string, string> {
  const headers: Record<string, string> = {};
  if (actor.allowed_ips.length > 0) headers["cf-connecting-ip"] = actor.allowed_ips[0].split("/")[0];
  if (actor.allowed_agents.length > 0) headers["user-agent"] = `${actor.allowed_agents[0]}/1.0`;
  return headers;
}

function assertWithinRoot(key: Key, rootKey: Key, partner: Key, isRoot: boolean) {
  const effective = (own: string[], inherited: string[]) => (own.length > 0 ? own : inherited);
  expect(SCOPES.filter((s) => key.scopes.includes(s) && !rootKey.scopes.includes(s))).toEqual([]);
  expect(effective(key.resources, partner.resources).every((r: string) => effective(rootKey.resources, partner.resources).includes(r))).toBe(true);
  expect(effective(key.allowed_origins, partner.allowed_origins).every((o: string) => effective(rootKey.allowed_origins, partner.allowed_origins).includes(o))).toBe(true);
  if (rootKey.allowed_ips.length > 0) {
    expect(key.allowed_ips.length).toBeGreaterThan(0);
    for (const n of key.allowed_ips) expect(rootKey.allowed_ips.some((o: string) => inside(n, o))).toBe(true);
  }
  if (rootKey.allowed_agents.length > 0) {
    expect(key.allowed_agents.length).toBeGreaterThan(0);
    for (const a of key.allowed_agents) expect(rootKey.allowed_agents).toContain(a);
  }
  if (rootKey.expires_at !== null) {
    expect(key.expires_at).not.toBeNull();
    expect(Date.parse(key.expires_at)).toBeLessThanOrEqual(Date.parse(rootKey.expires_at));
  }
  expect(TIER_LIMITS[key.rate_limit_tier ?? partner.rate_limit_tier]).toBeLessThanOrEqual(TIER_LIMITS[rootKey.rate_limit_tier]!);
  if (rootKey.credits_remaining !== null) {
    expect(key.credits_remaining).not.toBeNull();
    expect(key.credits_remaining).toBeLessThanOrEqual(isRoot ? rootKey.credits_remaining : 0);
  }
}

describe("authority containment (DESIGN §3a)", () => {
  it("no sequence of key-made creates, edits, rotations and revocations yields a key looser than its root", async () => {
    await fc.assert(
      fc.asyncProperty(root, fc.array(action, { minLength: 1, maxLength: 6 }), async (r, actions) => {
        const partner = await createPartner({ scopes: SCOPES, resources: RESOURCES, allowed_origins: ORIGINS });
        const made = await createKey(partner.id, {
          scopes: r.scopes, ...r.fences, rate_limit_tier: r.tier, credits_remaining: r.credits,
        });
        const sibling = await createKey(partner.id, { scopes: SCOPES, rate_limit_tier: "premium" });
        const rootKey = made.api_key;
        const family: { id: string; secret: string }[] = [{ id: rootKey.id, secret: made.key }];

        for (const a of actions) {
          const actor = family[a.actor % family.length]!;
          const actorNow = (await call(`/v1/keys/${actor.id}`)).body as Key;
          if (actorNow.status !== "active") continue;
          const headers = passing(actorNow);
          const targets = [...family.map((k) => k.id), sibling.api_key.id];
          const target = "target" in a ? targets[a.target % targets.length]! : undefined;
          let res;
          if (a.kind === "create") {
            const body = { name: "child", type: "secret", ...(a.scopes ? { scopes: a.scopes } : {}), ...a.fences };
            res = await call(`/v1/partners/${partner.id}/keys`, { auth: actor.secret, headers, body });
            if (res.status === 201) family.push({ id: res.body.api_key.id, secret: res.body.key });
          } else if (a.kind === "patch") {
            const body = { ...(a.scopes ? { scopes: a.scopes } : {}), ...a.fences };
            res = await call(`/v1/keys/${target}`, { method: "PATCH", auth: actor.secret, headers, body });
          } else {
            res = await call(`/v1/keys/${target}/${a.kind}`, { method: "POST", auth: actor.secret, headers, body: {} });
            if (a.kind === "rotate" && res.status === 200) {
              const rotated = family.find((k) => k.id === target);
              expect(rotated, "a key rotated the operator's unfenced sibling").toBeDefined();
              rotated!.secret = res.body.key;
            }
          }
          // Every refusal is a clean, typed one (402: a key-made key of a root with credits starts at 0).
          expect([200, 201, 400, 402, 403, 409], res.text).toContain(res.status);
          if (res.status === 403) expect(["scope_escalation", "insufficient_scope"]).toContain(res.body.code);
        }

        const keys = (await call(`/v1/partners/${partner.id}/keys?limit=100`)).body.data as Key[];
        // The sibling's secret and fences are never touched; revoking it needs every scope it holds.
        const { status, revoked_at, revoked_by, updated_at, ...untouched } = keys.find((k) => k.id === sibling.api_key.id)!;
        const { status: s0, revoked_at: r0, revoked_by: b0, updated_at: u0, ...before } = sibling.api_key;
        expect({ ...untouched, last_used_at: null }).toEqual({ ...before, last_used_at: null });
        if (status === "revoked") expect(SCOPES.every((s) => rootKey.scopes.includes(s))).toBe(true);
        else expect(updated_at).toBe(u0);
        for (const key of keys) if (key.id !== sibling.api_key.id) assertWithinRoot(key, rootKey, partner, key.id === rootKey.id);
      }),
      { numRuns: 25 },
    );
  }, 180_000);
});
