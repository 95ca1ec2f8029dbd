import { describe, expect, it } from "vitest";
import { call } from "../helpers";

describe("get partner", () => {
  it("answers 404 problem+json for an unknown partner", async () => {
    const res = await call("/v1/partners/8e2b6f1a-0000-4000-8000-000000000000");
    expect(res.status).toBe(404);
    expect(res.body.code).toBe("not_found");
  });
});
