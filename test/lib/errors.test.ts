import readme from "../../README.md?raw";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../src/lib/errors";

/** The README's error table: rows of `| \`code\` | status | … |`. */
function documentedCodes(): Map<string, number> {
  const section = readme.slice(readme.indexOf("### Error codes"));
  const rows = section.slice(0, section.indexOf("\n#", 1)).matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm);
  return new Map([...rows].map(([, code, status]) => [code!, Number(status)]));
}

describe("error codes", () => {
  it("the README's error table lists exactly the codes the API can answer with, each with its one status", () => {
    const listed = Object.fromEntries(Object.entries(ERROR_CODES).map(([code, { status }]) => [code, status]));
    expect(Object.fromEntries(documentedCodes())).toEqual(listed);
  });

  it("every code is snake_case and every status a 4xx or 5xx", () => {
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect(status >= 400 && status < 600, code).toBe(true);
    }
  });
});
