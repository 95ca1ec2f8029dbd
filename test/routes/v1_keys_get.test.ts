import { describe, expect, it } from "vitest";
import { call, createKey, createPartner, createUser, partnerWithKey } from "../helpers";

describe("get key", () => {
  it("filters scopes by the user's permissions unless all_permissions=true (Partoo)", async () => {
    const p = await createPartner();
    const user = await createUser(p.id, { permissions: ["business_edit"] });
    const { api_key } = await createKey(p.id, { user_id: user.id, scopes: ["business_edit", "business_edit_name"] });
    expect((await call(`/v1/keys/${api_key.id}`)).body.scopes).toEqual(["business_edit"]);
    expect((await call(`/v1/keys/${api_key.id}?all_permissions=true`)).body.scopes).toEqual(["business_edit", "business_edit_name"]);
  });

  it("hides another partner's key behind a 404 and needs keys:read", async () => {
    const { key } = await partnerWithKey({ scopes: ["keys:read"] });
    const other = await createPartner();
    const theirs = await createKey(other.id);
    const res = await call(`/v1/keys/${theirs.api_key.id}`, { auth: key });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe("not_found");
    const { key: weak, apiKey } = await partnerWithKey({ scopes: ["charges:read"] });
    expect((await call(`/v1/keys/${apiKey.id}`, { auth: weak })).status).toBe(403);
  });

  it("answers 404 for a malformed or unknown key id", async () => {
    expect((await call("/v1/keys/nope")).status).toBe(404);
    expect((await call("/v1/keys/key_0000000000000000")).status).toBe(404);
  });
});
