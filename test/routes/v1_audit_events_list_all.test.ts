import { describe, expect, it } from "vitest";
import { call, createKey, createPartner, partnerWithKey } from "../helpers";

describe("GET /v1/audit-events (the operator's global audit log)", () => {
  it("lists every partner's events in one trail, newest first, paged by the cursor", async () => {
    const a = await createPartner();
    const b = await createPartner();
    const keyA = await createKey(a.id);
    // Other files may write events meanwhile: only these partners' events are compared.
    const ours = (data: { partner_id: string }[]) => data.filter((e) => e.partner_id === a.id || e.partner_id === b.id);
    const all = await call("/v1/audit-events?limit=100");
    expect(all.status).toBe(200);
    expect(ours(all.body.data).map((e: any) => [e.action, e.partner_id, e.target_id])).toEqual([
      ["key.created", a.id, keyA.api_key.id],
      ["partner.created", b.id, b.id],
      ["partner.created", a.id, a.id],
    ]);
    expect(Object.keys(all.body.data[0]).sort()).toEqual(["action", "actor", "at", "id", "partner_id", "request_id", "target_id"]);
    // The cursor's next page continues below the first, whatever was written since.
    const page1 = await call("/v1/audit-events?limit=2");
    const page2 = await call(`/v1/audit-events?limit=2&cursor=${page1.body.next_cursor}`);
    const order: string[] = (await call("/v1/audit-events?limit=100")).body.data.map((e: { id: string }) => e.id);
    const at = (page: typeof page1) => page.body.data.map((e: { id: string }) => order.indexOf(e.id));
    expect([...at(page1), ...at(page2)].every((i: number) => i >= 0)).toBe(true);
    expect(Math.max(...at(page1))).toBeLessThan(Math.min(...at(page2)));
  });

  it("is the operator's only: a key with audit:read gets 403 operator_only, no credential 401", async () => {
    const { key } = await partnerWithKey({ scopes: ["audit:read"] });
    const res = await call("/v1/audit-events", { auth: key });
    expect([res.status, res.body.code]).toEqual([403, "operator_only"]);
    expect((await call("/v1/audit-events", { auth: null })).status).toBe(401);
    expect((await call("/v1/audit-events?cursor=nope")).body.code).toBe("invalid_cursor");
  });
});
