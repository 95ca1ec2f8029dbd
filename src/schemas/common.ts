import { z } from "@hono/zod-openapi";
import { normalizeOrigin } from "../guards/origin";

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "https://keyward.dev/problems/invalid_api_key" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().openapi({ example: "invalid_api_key" }),
    request_id: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

/** Error responses every authenticated canonical route can give; spread into each route's `responses`. */
export const errorResponses = {
  400: problem("The request is malformed or fails validation."),
  401: problem("Missing, malformed, unknown, expired or revoked credential."),
  403: problem("The credential may not do this."),
  404: problem("No such object, or not visible to this credential."),
  429: problem("Too many requests."),
  503: problem("A storage dependency is unavailable; retry later."),
} as const;

export const conflictResponse = { 409: problem("The request conflicts with the object's current state.") } as const;

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

export const Timestamp = z.iso.datetime().openapi({ example: "2026-11-23T08:00:00.000Z" });

export const ScopeList = z
  .array(z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:*/-]+$/, "Scopes are letters, digits and _ . : * / -"))
  .max(100)
  .openapi({ example: ["keys:read", "charges:read"] });

export const ResourceList = z
  .array(z.string().min(1).max(32).regex(/^[-a-zA-Z0-9_]+$/, "Resources are letters, digits, _ and -"))
  .max(100);

/**
 * A list whose entries are stored in canonical form (so matching is exact), refused entry by
 * entry when `canonical` cannot read them, and without duplicates.
 */
export function canonicalList(canonical: (entry: string) => string | null, maxLength: number, message: string) {
  const entry = z
    .string()
    .max(maxLength)
    .transform((value, ctx) => {
      const result = canonical(value);
      if (result === null) {
        ctx.addIssue({ code: "custom", message });
        return z.NEVER;
      }
      return result;
    });
  return z
    .array(entry)
    .max(100)
    .transform((entries) => [...new Set(entries)]);
}

export const OriginList = canonicalList(normalizeOrigin, 200, "Must be an http(s) origin: scheme://host[:port], no path or wildcard").openapi({
  example: ["https://app.example.com"],
});

export const Cursor = z.string().max(200).optional();
export const Limit = z.coerce.number().int().min(1).max(100).default(20);

export const PageQuery = z.object({ limit: Limit, cursor: Cursor });

export const pageOf = <T extends z.ZodType>(item: T, name: string) =>
  z.object({ data: z.array(item), next_cursor: z.string().nullable() }).openapi(name);
