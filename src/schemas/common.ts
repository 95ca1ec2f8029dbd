import { z } from "@hono/zod-openapi";
import { normalizeOrigin } from "../allowlists/origin";

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

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

export const Timestamp = z.iso.datetime().openapi({ example: "2026-11-23T08:00:00.000Z" });

/**
 * Free text. JSON Schema counts a string's length in Unicode code points (what `minLength` and
 * `maxLength` mean to generated clients and fuzzers), zod's `.max()` in UTF-16 units: count code
 * points here so the two agree. `trim` strips surrounding whitespace first and, with `min`, refuses
 * whitespace-only text (documented as the pattern `\S`).
 */
export function Text(max: number, options: { min?: number; trim?: boolean } = {}) {
  const min = options.min ?? 0;
  const base = options.trim ? z.string().trim() : z.string();
  const codePoints = (s: string) => [...s].length;
  return base
    .refine((s) => codePoints(s) >= min, min === 1 ? "Must not be empty" : `Must be at least ${min} characters`)
    .refine((s) => codePoints(s) <= max, `Must be at most ${max} characters`)
    .openapi({ ...(min > 0 ? { minLength: min } : {}), maxLength: max, ...(options.trim && min > 0 ? { pattern: "\\S" } : {}) });
}

/** zod's email rule, stated in the document too (a bare `format: email` allows forms zod refuses). */
export const Email = z.email().max(254).openapi({ pattern: z.regexes.email.source, example: "ops@example.com" });

/** Public ids. Lookups answer 404 for anything else (nothing of another shape can exist), so the patterns are documented, not validated. */
export const KEY_ID_PATTERN = "^key_[0-9A-Za-z]{16}$";
export const USER_ID_PATTERN = "^usr_[0-9A-Za-z]{16}$";
export const UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";
export const KeyId = z.string().max(64).openapi({ pattern: KEY_ID_PATTERN, example: "key_3hT9kQ2mZx7LpW4a" });
export const UserId = z.string().max(64).openapi({ pattern: USER_ID_PATTERN, example: "usr_8Jd2kQ0aZx7LpW4b" });
export const PartnerId = z.string().max(64).openapi({ format: "uuid", pattern: UUID_PATTERN, example: "8e2b6f1a-4c1d-4f5e-9a7b-0c3d2e1f4a5b" });

/**
 * A rate-limit tier name. The tiers are configuration (the `RATE_LIMIT_TIERS` var), so the server
 * checks them at request time (own entries only: `__proto__` or `toString` are unknown, 400) and
 * /openapi.json lists the configured ones as the `enum` of every request's `rate_limit_tier` (see src/openapi.ts).
 */
export const TierName = z
  .string()
  .min(1)
  .max(32)
  .openapi({ description: "One of the tiers configured in RATE_LIMIT_TIERS (400 for any other name).", example: "standard" });

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
export function canonicalList(
  canonical: (entry: string) => string | null,
  maxLength: number,
  message: string,
  /** The entry's rule as the document states it (pattern, format, description). */
  documented: Record<string, unknown> = {},
) {
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
    })
    .openapi(documented);
  return z
    .array(entry)
    .max(100)
    .transform((entries) => [...new Set(entries)]);
}

export const OriginList = canonicalList(normalizeOrigin, 200, "Must be an http(s) origin: scheme://host[:port], no path or wildcard", {
  format: "uri",
  pattern: "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\\s\\\\@*]+/?$",
  description: "An http(s) origin, scheme://host[:port]: no path, query, userinfo or wildcard. Stored lower-case, default port dropped.",
}).openapi({
  example: ["https://app.example.com"],
});

/** Opaque: a page's `next_cursor`. Absent or empty (`?cursor=`) is the first page; any other value not issued by this API is 400 `invalid_cursor`. */
export const Cursor = z
  .string()
  .max(200)
  .optional()
  .openapi({
    pattern: "^[A-Za-z0-9_-]*$",
    description: "Opaque: the `next_cursor` of the previous page. Absent or empty is the first page; a value this API did not issue is 400 `invalid_cursor`.",
  });
export const Limit = z.coerce.number().int().min(1).max(100).default(20).openapi({ description: "Page size, 1 to 100." });

export const PageQuery = z.object({ limit: Limit, cursor: Cursor });

export const pageOf = <T extends z.ZodType>(item: T, name: string) =>
  z.object({ data: z.array(item), next_cursor: z.string().nullable() }).openapi(name);

/** Response header fields, documented once in `components.headers` and referenced from every response. */
export const RESPONSE_HEADERS = {
  "X-Request-Id": {
    description: "The request's id: the caller's own X-Request-Id when it sent one, else a fresh one. Problem bodies repeat it as `request_id`.",
    schema: { type: "string" },
  },
  "RateLimit-Policy": {
    description:
      "IETF draft-ietf-httpapi-ratelimit-headers: a structured field list with one member per limit of the key's tier, " +
      "`\"<name>\";q=<limit>;w=<window_seconds>`, named by the limit (by the tier for a tier of one limit). Present on key-authenticated responses.",
    schema: { type: "string", example: '"standard";q=1000;w=60' },
  },
  RateLimit: {
    description:
      "IETF draft-ietf-httpapi-ratelimit-headers: one member per limit, `\"<name>\";r=<remaining>;t=<seconds until quota frees>`; " +
      "`t` never exceeds the window. Present on key-authenticated responses.",
    schema: { type: "string", example: '"standard";r=999;t=60' },
  },
  "RateLimit-Limit": {
    description: "Requests allowed per window by the most restrictive limit (for older clients). Present on key-authenticated responses.",
    schema: { type: "integer", minimum: 0, example: 1000 },
  },
  "RateLimit-Remaining": {
    description: "Requests left under the most restrictive limit (the fewest remaining, then the longest reset). Present on key-authenticated responses.",
    schema: { type: "integer", minimum: 0, example: 999 },
  },
  "RateLimit-Reset": {
    description: "Seconds until the most restrictive limit frees quota, never more than its window. Present on key-authenticated responses.",
    schema: { type: "integer", minimum: 0, example: 60 },
  },
  "Retry-After": {
    description: "Seconds to wait before retrying; on a rate-limited 429, until every limit of the key's tier admits the request again.",
    schema: { type: "integer", minimum: 1, example: 30 },
  },
} as const;

const RATE_LIMIT_HEADERS = ["RateLimit-Policy", "RateLimit", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"] as const;
const headerRef = (name: keyof typeof RESPONSE_HEADERS) => ({ $ref: `#/components/headers/${name}` });

type Doc = { paths?: Record<string, Record<string, any>>; components?: Record<string, any> };

/**
 * Documents the response headers of every operation in one place, so no route can forget them:
 * `X-Request-Id` on every response; the RateLimit fields on every response of a key-authenticated
 * operation (all but 401: a refused credential is never counted); `Retry-After` on 429 and 503.
 */
export function documentResponseHeaders<T extends Doc>(doc: T): T {
  doc.components ??= {};
  doc.components.headers = { ...doc.components.headers, ...RESPONSE_HEADERS };
  for (const operations of Object.values(doc.paths ?? {})) {
    for (const op of Object.values(operations)) {
      if (!op || typeof op !== "object" || !op.responses) continue;
      const keyAuthenticated = (op.security ?? []).some((req: Record<string, unknown>) => "apiKey" in req || "apiKeyHeader" in req);
      for (const [status, response] of Object.entries(op.responses as Record<string, any>)) {
        if ("$ref" in response) continue;
        const headers: Record<string, unknown> = { ...response.headers, "X-Request-Id": headerRef("X-Request-Id") };
        if (keyAuthenticated && status !== "401") for (const name of RATE_LIMIT_HEADERS) headers[name] = headerRef(name);
        if (status === "429" || status === "503") headers["Retry-After"] = headerRef("Retry-After");
        response.headers = headers;
      }
    }
  }
  return doc;
}

/** Headers of an answer that carries a secret (a new key, a webhook secret): never stored by any cache. */
export const NO_STORE = { "cache-control": "no-store" } as const;
