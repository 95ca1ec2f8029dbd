import { afterEach, describe, expect, it, vi } from "vitest";
import { ADMIN, call, partnerWithKey, tamper } from "../helpers";

afterEach(() => vi.restoreAllMocks());

async function logLinesOf(request: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
  await request();
  return lines.map((l) => JSON.parse(l));
}

describe("request log", () => {
  it("writes one JSON line per request with the request id, status and acting key id", async () => {
    const { key, apiKey } = await partnerWithKey();
    const [line] = await logLinesOf(() => call("/v1/me/key", { auth: key, headers: { "x-request-id": "log-test-1" } }));
    expect(line).toMatchObject({ level: "info", msg: "request", request_id: "log-test-1", method: "GET", path: "/v1/me/key", status: 200, actor: apiKey.id });
  });

  it("masks a presented key to its prefix and last four, and never logs secrets or the admin token", async () => {
    const { key } = await partnerWithKey();
    const wrong = tamper(key, 5);
    const lines = await logLinesOf(async () => {
      await call("/v1/me/key", { auth: key });
      await call("/v1/me/key", { auth: wrong });
      await call("/v1/partners");
      await call("/v1/me/key", { auth: "sk_live_someone_elses_secret_1234567890" });
    });
    expect(lines[0]!.key).toBe(`${key.slice(0, 22)}…${key.slice(-4)}`);
    expect(lines[1]!).toMatchObject({ status: 401, key: `${wrong.slice(0, 22)}…${wrong.slice(-4)}` });
    expect(lines[2]!.key).toBeNull();
    expect(lines[3]!.key).toBeNull();
    const all = JSON.stringify(lines);
    expect(all).not.toContain(key.slice(22, 46));
    expect(all).not.toContain(ADMIN);
    expect(all).not.toContain("someone_elses");
  });
});
