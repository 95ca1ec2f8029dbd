import { describe, expect, it } from "vitest";
import { call, createKey, createPartner } from "../helpers";

describe("list keys", () => {
  it("pages through more than one page newest first and filters by status and type", async () => {
    const p = await createPartner();
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await createKey(p.id, { type: i === 4 ? "publishable" : "secret", scopes: [] })).api_key.id);
    await call(`/v1/keys/${made[0]}/revoke`, { method: "POST" });

    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: any = await call(`/v1/partners/${p.id}/keys?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      ids.push(...res.body.data.map((k: { id: string }) => k.id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(ids).toEqual([...made].reverse());

    const revoked = await call(`/v1/partners/${p.id}/keys?status=revoked`);
    expect(revoked.body.data.map((k: { id: string }) => k.id)).toEqual([made[0]]);
    expect((await call(`/v1/partners/${p.id}/keys?status=active`)).body.data).toHaveLength(4);
    expect((await call(`/v1/partners/${p.id}/keys?type=publishable`)).body.data.map((k: { id: string }) => k.id)).toEqual([made[4]]);
    expect((await call(`/v1/partners/${p.id}/keys?status=bogus`)).status).toBe(400);
  });
});
