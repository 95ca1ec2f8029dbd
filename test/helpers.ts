import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";

export const ADMIN = "test-admin-token-0123456789abcdefghij";

export interface CallOptions {
  method?: string;
  /**
   * A key, the admin token, or null for no credential. Leave the property out for the operator
   * (admin) token; an explicit `undefined` throws, so an unset variable never turns into the operator.
   */
  auth?: string | null;
  /** Header carrying the credential; Authorization: Bearer by default. */
  via?: "authorization" | "x-api-key" | "x-APIKey";
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** One request through the real Worker entrypoint (workerd, real D1/KV/DO bindings). */
export async function call<T = any>(path: string, options: CallOptions = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if ("auth" in options && options.auth === undefined) {
    throw new Error(`call(${path}): auth is undefined; leave auth out for the operator token, pass null for no credential`);
  }
  const auth: string | null = "auth" in options ? (options.auth as string | null) : ADMIN;
  if (auth !== null) {
    const via = options.via ?? "authorization";
    headers[via] = via === "authorization" ? `Bearer ${auth}` : auth;
  }
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await exports.default.fetch(
    new Request(`http://keyward.test${path}`, { method: options.method ?? (body ? "POST" : "GET"), headers, body }),
  );
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

let counter = 0;
export const unique = (label: string) => `${label}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export async function createPartner(overrides: Record<string, unknown> = {}) {
  const slug = unique("p");
  const res = await call("/v1/partners", {
    body: {
      slug,
      name: `Partner ${slug}`,
      contact_email: `ops@${slug}.example`,
      website_url: `https://${slug}.example`,
      scopes: ["keys:read", "keys:write", "users:read", "users:write", "audit:read", "charges:read"],
      ...overrides,
    },
  });
  if (res.status !== 201) throw new Error(`partner create failed: ${res.status} ${res.text}`);
  return res.body as { id: string; slug: string; scopes: string[]; [k: string]: unknown };
}

/** `auth` left out means the operator; an explicit `undefined` throws, as in `call`. */
export async function createKey(partnerId: string, body: Record<string, unknown> = {}, auth: string = ADMIN) {
  if (arguments.length >= 3 && arguments[2] === undefined) throw new Error("createKey: auth is undefined; leave it out for the operator token");
  const res = await call(`/v1/partners/${partnerId}/keys`, { auth, body: { name: "test key", type: "secret", ...body } });
  if (res.status !== 201) throw new Error(`key create failed: ${res.status} ${res.text}`);
  return res.body as { key: string; api_key: Record<string, any> & { id: string } };
}

export async function createUser(partnerId: string, body: Record<string, unknown> = {}) {
  const res = await call(`/v1/partners/${partnerId}/users`, {
    body: { first_name: "Perceval", last_name: "de Galles", email: `${unique("u")}@example.com`, role: "BUSINESS_MANAGER", ...body },
  });
  if (res.status !== 201) throw new Error(`user create failed: ${res.status} ${res.text}`);
  return res.body as { id: string; permissions: string[]; [k: string]: unknown };
}

/** A partner with one all-powerful secret key, the common starting point. */
export async function partnerWithKey(keyBody: Record<string, unknown> = {}) {
  const partner = await createPartner();
  const created = await createKey(partner.id, keyBody);
  return { partner, key: created.key, apiKey: created.api_key };
}

export { env };

/** `GET /v1/me/key` with `key`: the cheapest key-authenticated request. */
export const me = (key: string, headers: Record<string, string> = {}) => call("/v1/me/key", { auth: key, headers });

/** `POST /v1/keys/verify` as the operator, or as `auth` when given. */
export const verify = (body: Record<string, unknown>, auth?: string) => call("/v1/keys/verify", auth === undefined ? { body } : { body, auth });

/** `POST /oauth2/token` with the key as client credentials (a form, as RFC 6749 has it); the whole reply. */
export const requestToken = (keyId: string, key: string, headers: Record<string, string> = {}) =>
  call("/oauth2/token", {
    auth: null,
    body: `grant_type=client_credentials&client_id=${keyId}&client_secret=${key}`,
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
  });

/** An access token for the key; fails the test if the token endpoint refuses. */
export async function accessToken(keyId: string, key: string): Promise<string> {
  const res = await requestToken(keyId, key);
  expect(res.status, res.text).toBe(200);
  return res.body.access_token;
}

/**
 * The credential with one character changed, so never equal to it. `fromEnd` picks the character;
 * keep it above 1 for base64url text, whose last character may carry only padding bits.
 */
export function tamper(credential: string, fromEnd = 1): string {
  const at = credential.length - fromEnd;
  return credential.slice(0, at) + (credential[at] === "a" ? "b" : "a") + credential.slice(at + 1);
}

/** Durable Object calls made while serving `res`, from its Server-Timing header (0 when absent). */
export const guardCalls = (res: { headers: Headers }) =>
  Number(/do;dur=[\d.]+;desc=(\d+)/.exec(res.headers.get("server-timing") ?? "")?.[1] ?? 0);

/** `{ d1: 1, kv: 2, do: 1 }` from a response's Server-Timing (on in tests); storages not touched are absent. */
export function storageCalls(res: { headers: Headers }): Record<string, number> {
  const header = res.headers.get("server-timing");
  expect(header, "Server-Timing").toMatch(/total;dur=\d+(\.\d)?$/);
  const calls: Record<string, number> = {};
  for (const part of header!.split(", ")) {
    const match = /^(d1|kv|do);dur=\d+(?:\.\d)?;desc=(\d+)$/.exec(part);
    if (match) calls[match[1]!] = Number(match[2]);
    else expect(part).toMatch(/^total;dur=/);
  }
  return calls;
}

/** The fields a schema's refusal names, each once (one field may break several rules). */
export const refusedPaths = (result: { error?: { issues: { path: PropertyKey[] }[] } }) => [
  ...new Set(result.error?.issues.map((i) => i.path.join("."))),
];

/**
 * Reads until `done` holds for what `read` gives, or `within` ms (wall clock) pass, and returns the
 * last reading: for work the queue consumer does on its own schedule. The caller asserts on it.
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, within = 20_000): Promise<T> {
  const deadline = Date.now() + within;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await scheduler.wait(100);
  }
}
