import { now } from "../lib/clock";
import { z } from "@hono/zod-openapi";
import { effectiveScopes } from "../auth/scopes";
import { KEY_STATUSES, keyStatus, type ApiKeyRecord } from "../db/keys";
import type { User } from "../db/users";
import { fullName, UserKind } from "./user";
import { isProductName } from "../allowlists/agent";
import { canonicalIpEntry } from "../allowlists/ip";
import { KEY_TYPES } from "../keys/format";
import { Credits, CreditsRefillInput, CreditsRefillSchema, serializeRefill } from "./credits";
import { canonicalList, OriginList, ResourceList, ScopeList, Text, TierName, Timestamp, UserId } from "./common";

export const KeyTypeSchema = z.enum(KEY_TYPES);
export const KeyStatusSchema = z.enum(KEY_STATUSES);

export const ApiKeySchema = z
  .object({
    id: z.string().openapi({ example: "key_3hT9kQ2mZx7LpW4a" }),
    partner_id: z.string(),
    user_id: z.string().nullable(),
    name: z.string(),
    description: z.string().nullable(),
    type: KeyTypeSchema,
    prefix: z.string().openapi({ example: "kw_sk_3hT9kQ2mZx7LpW4a" }),
    last_four: z.string(),
    scopes: z.array(z.string()),
    resources: z.array(z.string()),
    allowed_origins: z.array(z.string()),
    allowed_ips: z.array(z.string()),
    allowed_agents: z.array(z.string()),
    rate_limit_tier: z.string().nullable(),
    credits_remaining: z.number().int().nullable(),
    credits_refill: CreditsRefillSchema.nullable(),
    credits_refilled_at: Timestamp.nullable().openapi({ description: "When the refill last topped the balance up, or was set (which starts its schedule)." }),
    expires_at: Timestamp.nullable(),
    status: KeyStatusSchema,
    revoked_at: Timestamp.nullable(),
    revoked_by: z.string().nullable(),
    leaked_at: Timestamp.nullable().openapi({ description: "When a leak report (`POST /v1/leaks`) first named this key; null while none has." }),
    created_at: Timestamp,
    created_by: z.string(),
    last_used_at: Timestamp.nullable(),
    secret_rotated_at: Timestamp.nullable(),
    updated_at: Timestamp,
  })
  .openapi("ApiKey");

export const KeyWithSecretSchema = z
  .object({
    key: z.string().openapi({ description: "The full key. Shown only now: store it safely." }),
    api_key: ApiKeySchema,
  })
  .openapi("ApiKeyWithSecret");

const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";

/**
 * IPv4 networks as the server takes them, host bits zero, as one pattern: per prefix length, the
 * octets inside the prefix are free, the one it cuts holds only multiples of its block size, the
 * rest are 0. (A pattern can say it exactly, so fuzzers never send `10.0.0.1/8`, which is refused.)
 */
function ipv4NetworkPattern(): string {
  const alternatives: string[] = [];
  for (let prefix = 0; prefix <= 32; prefix++) {
    const octets: string[] = [];
    for (let i = 0; i < 4; i++) {
      const bits = Math.min(8, Math.max(0, prefix - 8 * i));
      if (bits === 8) octets.push(OCTET);
      else if (bits === 0) octets.push("0");
      else octets.push(`(${Array.from({ length: 1 << bits }, (_, k) => k << (8 - bits)).join("|")})`);
    }
    alternatives.push(`${octets.join("\\.")}/${prefix}`);
  }
  return `^(${alternatives.join("|")})$`;
}

// IPv6 networks: those cut at a 16-bit group boundary are stated exactly; any other prefix length
// is accepted too when its host bits are zero (a rule no compact pattern states).
const IPV6_GROUP_NETWORK = `^(::/0|${[1, 2, 3, 4, 5, 6, 7].map((n) => `([0-9A-Fa-f]{1,4}:){${n}}:/${16 * n}`).join("|")})$`;

const IpList = canonicalList(canonicalIpEntry, 64, "Must be an IPv4/IPv6 address or CIDR", {
  description:
    "An IPv4 or IPv6 address, or a network in CIDR notation with its host bits zero (e.g. 10.0.0.0/8, 2001:db8::/32). " +
    "Dotted-decimal IPv4 only; no zone ids.",
  anyOf: [
    { format: "ipv4", pattern: `^${OCTET}(\\.${OCTET}){3}$` },
    { format: "ipv6", pattern: "^[0-9A-Fa-f:.]+$" },
    { pattern: ipv4NetworkPattern() },
    { pattern: IPV6_GROUP_NETWORK },
  ],
}).openapi({
  example: ["172.16.0.0/12", "127.0.0.1"],
});

const AgentList = z
  .array(
    z
      .string()
      .min(1)
      .max(64)
      .refine(isProductName, "Must be a User-Agent product name such as MyApp")
      .openapi({ pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", example: "ExampleApp" }),
  )
  .max(100);

/** `expires_at` accepts a date-time or a date (`yyyy-mm-dd`, midnight UTC); either must lie in the future. */
const ExpiresAt = z
  .union([
    // RFC 3339 as the server reads it: upper-case T and Z, seconds 00-59.
    z.iso.datetime({ offset: true }).openapi({ pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:[0-5]\\d(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$" }),
    z.iso.date(),
  ])
  .transform((value) => new Date(value.length === 10 ? `${value}T00:00:00Z` : value).toISOString())
  .refine((iso) => Date.parse(iso) > now(), "expires_at must be in the future")
  .openapi({ example: "2027-06-05T00:00:00Z", description: "A date-time, or a date (midnight UTC). Must lie in the future." });

const mutableKeyFields = {
  name: Text(200, { min: 1, trim: true }),
  description: Text(1000).nullable(),
  scopes: ScopeList,
  resources: ResourceList,
  allowed_origins: OriginList,
  allowed_ips: IpList,
  allowed_agents: AgentList,
  rate_limit_tier: TierName.nullable(),
  expires_at: ExpiresAt.nullable(),
  credits_remaining: Credits.nullable(),
  credits_refill: CreditsRefillInput.nullable(),
};

export const KeyCreateSchema = z
  .strictObject({
    ...mutableKeyFields,
    description: mutableKeyFields.description.optional(),
    type: KeyTypeSchema,
    user_id: UserId.nullable().optional().openapi({ description: "A user of the same partner." }),
    scopes: ScopeList.optional(),
    resources: ResourceList.optional(),
    allowed_origins: OriginList.optional(),
    allowed_ips: IpList.optional(),
    allowed_agents: AgentList.optional(),
    rate_limit_tier: mutableKeyFields.rate_limit_tier.optional(),
    expires_at: mutableKeyFields.expires_at.optional(),
    credits_remaining: mutableKeyFields.credits_remaining.optional(),
    credits_refill: mutableKeyFields.credits_refill.optional(),
  })
  .openapi("ApiKeyCreate", {
    // Publishable keys live in browsers: no management scopes (keys:*, users:*, webhooks:*, audit:read), 400 otherwise.
    allOf: [
      {
        if: { properties: { type: { const: "publishable" } }, required: ["type"] },
        then: { properties: { scopes: { items: { not: { pattern: "^(keys|users|webhooks):|^audit:read$" } } } } },
        // JSON Schema 2020-12 if/then (OpenAPI 3.1), which the metadata type, from OpenAPI 3.0, does not know.
      } as never,
    ],
  });

export const KeyPatchSchema = z.strictObject(mutableKeyFields).partial().openapi("ApiKeyPatch");

export const RotateSchema = z
  .strictObject({
    grace_period_seconds: z
      .number()
      .int()
      .min(0)
      .max(30 * 24 * 3600)
      .default(0)
      .openapi({ description: "How long the old secret keeps working; 0 retires it at once." }),
  })
  .openapi("ApiKeyRotate");

/** Opt-in extras (`?expand=actors,user`), so the default shape stays exactly the documented one. */
export const KEY_EXPANSIONS = ["actors", "user"] as const;
export type KeyExpansion = (typeof KEY_EXPANSIONS)[number];

/** Every value the server takes, and only those: each expansion at most once, in either order. */
export const EXPAND_VALUES = ["actors", "user", "actors,user", "user,actors"] as const;

export const ExpandQuery = z
  .enum(EXPAND_VALUES, { error: "One of: actors, user, actors,user" })
  .transform((v) => new Set(v.split(",") as KeyExpansion[]))
  .optional()
  .openapi({
    type: "string",
    enum: [...EXPAND_VALUES],
    example: "actors,user",
    description: "`actors` adds created_by_name and revoked_by_name; `user` adds the key's user {id, name, role, kind} (Partoo).",
  });

export const ExpandedKeyFields = z.object({
  created_by_name: z.string().nullable().optional(),
  revoked_by_name: z.string().nullable().optional(),
  user: z.object({ id: z.string(), name: z.string(), role: z.string(), kind: UserKind }).nullable().optional(),
});

export interface SerializeKeyOptions {
  /** The key's user, whose permissions filter the scopes shown (Partoo); null for keys without one. */
  user: User | null;
  /** `?all_permissions=true`: show the key's own scopes, unfiltered. */
  allPermissions?: boolean;
  /** The effective scopes when the request already computed them (the calling or verified key: `liveKey`). */
  scopes?: string[];
  expand?: ReadonlySet<KeyExpansion>;
}

export function serializeKey(k: ApiKeyRecord, options: SerializeKeyOptions): z.infer<typeof ApiKeySchema> & z.infer<typeof ExpandedKeyFields> {
  const scopes = options.scopes ?? (options.allPermissions ? k.scopes : effectiveScopes(k.scopes, options.user?.permissions ?? null));
  const { user, expand } = options;
  return {
    id: k.id,
    partner_id: k.partner_id,
    user_id: k.user_id,
    name: k.name,
    description: k.description,
    type: k.type,
    prefix: k.prefix,
    last_four: k.last_four,
    scopes,
    resources: k.resources,
    allowed_origins: k.allowed_origins,
    allowed_ips: k.allowed_ips,
    allowed_agents: k.allowed_agents,
    rate_limit_tier: k.rate_limit_tier,
    credits_remaining: k.credits_remaining,
    credits_refill: serializeRefill(k.credits_refill),
    credits_refilled_at: k.credits_refilled_at,
    expires_at: k.expires_at,
    status: keyStatus(k),
    revoked_at: k.revoked_at,
    revoked_by: k.revoked_by,
    leaked_at: k.leaked_at,
    created_at: k.created_at,
    created_by: k.created_by,
    last_used_at: k.last_used_at,
    secret_rotated_at: k.secret_rotated_at,
    updated_at: k.updated_at,
    ...(expand?.has("actors") ? { created_by_name: k.created_by_name, revoked_by_name: k.revoked_by_name } : {}),
    ...(expand?.has("user") ? { user: user ? { id: user.id, name: fullName(user), role: user.role, kind: user.kind } : null } : {}),
  };
}
