import { describe, expect, it } from "vitest";
import { getKey, leakWrite } from "../../../src/db/keys";
import { commitMutation } from "../../../src/events/commit";
import { call, createKey, createPartner, env } from "../../helpers";
import { auditOf, eventsOf } from "./reporter";

const audit = () => ({ actor: "leak_report", actorName: "Leak report", requestId: "req-test", at: new Date().toISOString() });
const where = { source: "content", url: "https://github.com/a/b", signed: true };

describe("leakWrite: one batch per key", () => {
  it("a revocation that lost a race to another revoke writes nothing: no flag, no key.leaked, no key.revoked", async () => {
    const { api_key } = await createKey((await createPartner()).id);
    const before = (await getKey(env.DB, api_key.id))!;
    await call(`/v1/keys/${api_key.id}/revoke`, { method: "POST" });
    // `before` still says not revoked, as a report that read the key just before would.
    const written = await commitMutation(env, leakWrite(env.DB, audit(), before, { ...where, revoke: true }));
    expect(written).toBeNull();
    expect((await getKey(env.DB, api_key.id))!.leaked_at).toBeNull();
    expect((await eventsOf(api_key.id)).map((e) => e.type)).toEqual(["key.created", "key.revoked"]);
    expect((await auditOf(api_key.id)).map((e) => e.action)).toEqual(["key.created", "key.revoked"]);
  });

  it("flagging twice writes the flag and its event once, keeping the first leaked_at", async () => {
    const { api_key } = await createKey((await createPartner()).id);
    const key = (await getKey(env.DB, api_key.id))!;
    const first = await commitMutation(env, leakWrite(env.DB, audit(), key, { ...where, revoke: false }));
    const second = await commitMutation(env, leakWrite(env.DB, audit(), key, { ...where, revoke: false }));
    expect(first?.leaked_at).toEqual(expect.any(String));
    expect(second).toBeNull();
    expect((await getKey(env.DB, api_key.id))!.leaked_at).toBe(first!.leaked_at);
    expect((await eventsOf(api_key.id)).map((e) => e.type)).toEqual(["key.created", "key.leaked"]);
  });

  it("a revocation writes key.leaked (reacted by its own reactions) and key.revoked (written reacted) with one audit row each", async () => {
    const { api_key } = await createKey((await createPartner()).id, { allowed_origins: ["https://a.example"] });
    const key = (await getKey(env.DB, api_key.id))!;
    const written = await commitMutation(env, leakWrite(env.DB, audit(), key, { ...where, revoke: true }));
    expect(written).toMatchObject({ revoked_by: "leak_report", previous_secret_hash: null });
    const events = await eventsOf(api_key.id);
    expect(events.slice(1).map((e) => [e.type, e.payload])).toEqual([
      ["key.leaked", { previous_origins: ["https://a.example"], data: { ...where, revoked: true } }],
      ["key.revoked", { previous_origins: ["https://a.example"] }],
    ]);
    expect(events.every((e) => e.reacted_at !== null)).toBe(true);
    expect((await auditOf(api_key.id)).map((e) => e.action)).toEqual(["key.created", "key.leaked", "key.revoked"]);
  });
});
