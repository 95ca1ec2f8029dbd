import { describe, expect, it } from "vitest";
import { callWith } from "../hardening/faulty-env";
import { ADMIN, call, createKey, createPartner, createUser, env } from "../helpers";

// Every mutation writes one outbox row (src/db/outbox.ts), with its audit row, in its own batch.

interface Paired {
  id: string;
  type: string;
  subject_id: string;
  action: string | null;
  target_id: string | null;
  reacted_at: string | null;
}

/** The partner's outbox rows, oldest first, each with the audit row of the same id (if any). */
const eventsOf = async (partnerId: string) =>
  (
    await env.DB.prepare(
      `SELECT e.id, e.type, e.subject_id, a.action, a.target_id, e.reacted_at
         FROM events e LEFT JOIN audit_events a ON a.id = e.id WHERE e.partner_id = ?1 ORDER BY e.seq`,
    )
      .bind(partnerId)
      .all<Paired>()
  ).results;

const auditCount = async (partnerId: string) =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_events WHERE partner_id = ?1").bind(partnerId).first<{ n: number }>())!.n;

describe("the outbox", () => {
  it("gets exactly one row per mutation route, paired with its audit row (same id, type and subject), reacted once its reactions ran", async () => {
    const partner = await createPartner({ allowed_origins: [`https://${crypto.randomUUID()}.example`] });
    expect((await call(`/v1/partners/${partner.id}`, { method: "PATCH", body: { name: "Renamed" } })).status).toBe(200);
    const user = await createUser(partner.id);
    const { api_key } = await createKey(partner.id);
    expect((await call(`/v1/keys/${api_key.id}`, { method: "PATCH", body: { name: "renamed", credits_remaining: 7 } })).status).toBe(200);
    expect((await call(`/v1/keys/${api_key.id}/rotate`, { body: {} })).status).toBe(200);
    expect((await call(`/v1/keys/${api_key.id}/revoke`, { method: "POST" })).status).toBe(200);

    const rows = await eventsOf(partner.id);
    expect(rows.map((r) => [r.type, r.subject_id])).toEqual([
      ["partner.created", partner.id],
      ["partner.updated", partner.id],
      ["user.created", user.id],
      ["key.created", api_key.id],
      ["key.updated", api_key.id],
      ["key.rotated", api_key.id],
      ["key.revoked", api_key.id],
    ]);
    for (const row of rows) {
      expect([row.action, row.target_id], `audit row of ${row.type}`).toEqual([row.type, row.subject_id]);
      expect(row.reacted_at, `${row.type} reacted`).not.toBeNull();
    }
    expect(await auditCount(partner.id)).toBe(rows.length);
  });

  it("carries what the reactions need: the previous origins and the balance the operator set", async () => {
    const before = `https://${crypto.randomUUID()}.example`;
    const partner = await createPartner();
    const { api_key } = await createKey(partner.id, { allowed_origins: [before] });
    await call(`/v1/keys/${api_key.id}`, { method: "PATCH", body: { allowed_origins: [], credits_remaining: null } });
    await call(`/v1/keys/${api_key.id}`, { method: "PATCH", body: { name: "no balance set" } });
    const payloads = await env.DB.prepare("SELECT payload FROM events WHERE subject_id = ?1 AND type = 'key.updated' ORDER BY seq")
      .bind(api_key.id)
      .all<{ payload: string }>();
    expect(payloads.results.map((r) => JSON.parse(r.payload))).toEqual([
      { previous_origins: [before], credits: null },
      { previous_origins: [] },
    ]);
  });

  it("gets no row from a change that lost a race: of two concurrent revokes, and of a revoke repeated, only one is recorded", async () => {
    const partner = await createPartner();
    const { api_key } = await createKey(partner.id);
    const both = await Promise.all([1, 2].map(() => call(`/v1/keys/${api_key.id}/revoke`, { method: "POST" })));
    expect(both.map((r) => [r.status, r.body.status])).toEqual([
      [200, "revoked"],
      [200, "revoked"],
    ]);
    expect((await call(`/v1/keys/${api_key.id}/revoke`, { method: "POST" })).status).toBe(200);
    // A PATCH of the revoked key changes nothing: 409, and nothing recorded.
    expect((await call(`/v1/keys/${api_key.id}`, { method: "PATCH", body: { name: "late" } })).status).toBe(409);
    const rows = await eventsOf(partner.id);
    expect(rows.map((r) => r.type)).toEqual(["partner.created", "key.created", "key.revoked"]);
    expect(await auditCount(partner.id)).toBe(3);
  });

  it("gets no row when the batch fails: change, audit row and outbox row are one transaction", async () => {
    const partner = await createPartner();
    const { api_key } = await createKey(partner.id);
    const failed = [
      await callWith({ d1: "batch" }, `/v1/keys/${api_key.id}`, { method: "PATCH", auth: ADMIN, body: { name: "after" } }),
      await callWith({ d1: "batch" }, `/v1/partners/${partner.id}/users`, {
        auth: ADMIN,
        body: { first_name: "a", last_name: "b", email: "x@y.example", role: "R" },
      }),
      await callWith({ d1: "batch" }, `/v1/partners/${partner.id}`, { method: "PATCH", auth: ADMIN, body: { name: "after" } }),
    ];
    expect(failed.map((r) => r.body.code)).toEqual(["storage_unavailable", "storage_unavailable", "storage_unavailable"]);
    expect((await eventsOf(partner.id)).map((r) => r.type)).toEqual(["partner.created", "key.created"]);
    expect(await auditCount(partner.id)).toBe(2);
  });
});
