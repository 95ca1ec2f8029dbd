import { describe, expect, it } from "vitest";
import { call, createPartner, partnerWithKey } from "../helpers";

describe("list partners", () => {
  it("lists partners newest first across pages with an opaque cursor", async () => {
    const made = [await createPartner(), await createPartner(), await createPartner()];
    const first = await call("/v1/partners?limit=2");
    expect(first.body.data.map((p: { id: string }) => p.id)).toEqual([made[2]!.id, made[1]!.id]);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await call(`/v1/partners?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.data[0].id).toBe(made[0]!.id);
    expect((await call("/v1/partners?cursor=garbage")).status).toBe(400);
    expect((await call("/v1/partners?limit=1000")).status).toBe(400);
  });

  it("is operator-only: a valid partner key with every scope is 403 operator_only, a revoked one 401", async () => {
    const { key, apiKey } = await partnerWithKey();
    for (const [method, path] of [["GET", "/v1/partners"], ["POST", "/v1/partners"]] as const) {
      const res = await call(path, { method, auth: key, body: method === "POST" ? {} : undefined });
      expect([res.status, res.body.code]).toEqual([403, "operator_only"]);
    }
    // The check spends nothing: the key's window is untouched.
    expect((await call("/v1/me/key", { auth: key })).headers.get("ratelimit-remaining")).toBe("999");
    await call(`/v1/keys/${apiKey.id}/revoke`, { method: "POST" });
    const revoked = await call("/v1/partners", { auth: key });
    expect([revoked.status, revoked.body.code]).toEqual([401, "invalid_api_key"]);
  });
});
