import { describe, expect, it } from "vitest";
// "zod" is the bundled one here (vitest.config.ts aliases it to src/bundle/zod.ts, as wrangler.toml
// does for the deployed Worker); "zod/v4" is the package's own, complete entry point.
import { z as bundled } from "zod";
import { z as full } from "zod/v4";

const difference = (a: object, b: object) => Object.keys(a).filter((name) => !(name in b)).sort();

describe("the zod in the bundle (src/bundle/zod.ts)", () => {
  it("is the alias, not the package", () => {
    expect(bundled).not.toBe(full);
  });

  // A zod upgrade that adds, renames or removes an export fails here: then update src/bundle/.
  it("leaves out only the locales, the compiler and fromJSONSchema", () => {
    expect(difference(full, bundled)).toEqual([
      "INVALID",
      "ZodCompileAsyncError",
      "ZodCompileUnsupportedError",
      "compile",
      "fromJSONSchema",
      "locales",
      "withParser",
    ]);
    expect(difference(bundled, full)).toEqual([]);
    expect(difference(full.core, bundled.core)).toEqual([
      "INVALID",
      "ZodCompileAsyncError",
      "ZodCompileUnsupportedError",
      "compile",
      "compileFn",
      "locales",
      "withParser",
    ]);
    expect(difference(bundled.core, full.core)).toEqual([]);
  });

  it("shares zod's classes, so schemas and errors are the package's own", () => {
    expect(bundled.ZodType).toBe(full.ZodType);
    expect(bundled.ZodError).toBe(full.ZodError);
    expect(bundled.core.$ZodType).toBe(full.core.$ZodType);
    expect(bundled.object).toBe(full.object);
  });

  it("keeps the English messages", () => {
    const result = bundled.object({ name: bundled.string().min(3) }).safeParse({ name: "ab" });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe("Too small: expected string to have >=3 characters");
  });
});
