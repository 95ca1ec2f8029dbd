import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import openapiTS, { astToString } from "openapi-typescript";
import { afterAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";

// A client generated from /openapi.json with openapi-typescript's defaults must compile under
// --strict, and must let callers leave out every field the server defaults.
const TIERS = JSON.stringify({ standard: { limit: 1000, window_seconds: 60 }, premium: { limit: 20000, window_seconds: 60 } });

const USAGE = `
import type { components, operations, paths } from "./schema";

type Json<T> = T extends { content: { "application/json": infer B } } ? B : never;
type RequestBody<Op> = Op extends { requestBody?: infer R } ? Json<NonNullable<R>> : never;

// Defaulted fields are optional input: cost (verify), grace_period_seconds (rotate), kind and permissions (users).
export const verify: RequestBody<operations["verifyKey"]> = { key: "kw_sk_example" };
export const rotate: RequestBody<operations["rotateKey"]> = {};
export const user: RequestBody<operations["createUser"]> = { first_name: "Ada", last_name: "L", email: "ada@example.com", role: "ADMIN" };
export const key: Json<components["requestBodies"]["ApiKeyCreate"]> = { name: "server", type: "secret", rate_limit_tier: "premium" };
export const patch: RequestBody<operations["updateKey"]> = { rate_limit_tier: null, expires_at: "2099-01-01" };
export const partner: RequestBody<paths["/v1/partners"]["post"]> = {
  slug: "acme", name: "Acme", contact_email: "ops@acme.example", website_url: "https://acme.example",
};
// The configured tiers are an enum: anything else does not compile.
// @ts-expect-error "gold" is not a configured tier
export const badTier: RequestBody<operations["createPartner"]> = { ...partner, rate_limit_tier: "gold" };
// @ts-expect-error "everything" is not an expansion
export const badExpand: NonNullable<operations["getKey"]["parameters"]["query"]>["expand"] = "everything";

// Responses are complete: server-set fields are present, not optional.
export function useKey(k: components["schemas"]["ApiKey"]): string {
  return k.id + k.prefix + String(k.credits_remaining ?? "unlimited") + k.status;
}
export type Verdict = Json<operations["verifyKey"]["responses"][200]>["code"];
export type Metadata = Json<operations["getAuthorizationServerMetadata"]["responses"][200]>;
export const grants: Metadata["grant_types_supported"] = ["client_credentials"];
`;

describe("a client generated from the OpenAPI document", () => {
  const dir = mkdtempSync(join(tmpdir(), "keyward-client-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("compiles under tsc --strict, with defaulted request fields optional", async () => {
    const res = await createApp().request("/openapi.json", {}, { RATE_LIMIT_TIERS: TIERS });
    const document = (await res.json()) as Record<string, unknown>;
    const types = astToString(await openapiTS(document as never));
    // openapi-typescript's defaults make a field with a `default` required everywhere but in request bodies.
    expect(types).toMatch(/cost\?: number/);
    expect(types).toMatch(/grace_period_seconds\?: number/);
    writeFileSync(join(dir, "schema.ts"), types);
    writeFileSync(join(dir, "usage.ts"), USAGE);
    const compilerOptions = {
      strict: true, noEmit: true, noUncheckedIndexedAccess: true, target: "es2022", module: "esnext", moduleResolution: "bundler", types: [],
    };
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["usage.ts"] }));
    const tsc = createRequire(import.meta.url).resolve("typescript/lib/tsc.js");
    let output = "";
    try {
      execFileSync(
        process.execPath,
        [tsc, "-p", dir],
        { encoding: "utf8" },
      );
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? err);
    }
    expect(output).toBe("");
  }, 120_000);
});
