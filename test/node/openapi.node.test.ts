import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";

// Runs in Node: the validator compiles JSON Schemas with Ajv, which workerd (no eval) cannot run.
describe("the OpenAPI document", () => {
  it("validates against the official OpenAPI 3.1 schema", async () => {
    const res = await createApp().request("/openapi.json");
    expect(res.status).toBe(200);
    const document = (await res.json()) as Record<string, unknown>;
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });
});
