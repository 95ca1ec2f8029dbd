import { describe, expect, it } from "vitest";
import { call } from "../helpers";

describe("GET /healthz", () => {
  it("answers ok without any credential and carries a request id", async () => {
    const res = await call("/healthz", { auth: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });
});
