import type { Context } from "hono";
import type { App } from "./hono";
import { rateLimitTiers } from "./config";
import type { AppEnv, Bindings } from "./env";
import { documentResponseHeaders } from "./schemas/common";

type Json = Record<string, any>;

const INFO = {
  title: "Keyward API",
  version: "1.0.0",
  description: "API keys at the edge: issue, verify and govern partner API keys.",
};

/**
 * Moves every request-body schema that nothing but request bodies uses from `components.schemas`
 * to `components.requestBodies`, keeping its name. Request schemas describe the *input*: a field
 * with a `default` (`cost`, `grace_period_seconds`, `kind`, …) may be left out, and the document
 * already says so (it is not `required`). But generators read a `default` in a shared component
 * as "always present" (openapi-typescript's `defaultNonNullable`, on by default, exempts only
 * schemas under `requestBody`/`requestBodies`), so a schema kept in `components.schemas` would
 * make those fields required in generated clients. Under `components.requestBodies` they are what
 * they are: optional input with a documented default.
 */
export function moveRequestBodies(doc: Json): Json {
  const schemas: Json = doc.components?.schemas ?? {};
  const uses = new Map<string, { op: Json; body: string }[]>();
  for (const operations of Object.values<Json>(doc.paths ?? {})) {
    for (const op of Object.values<Json>(operations)) {
      const content: Json | undefined = op?.requestBody?.content;
      if (!content) continue;
      const refs = new Set(Object.values<Json>(content).map((media) => media.schema?.$ref));
      const ref = refs.size === 1 ? [...refs][0] : undefined;
      if (typeof ref !== "string" || !ref.startsWith("#/components/schemas/")) continue;
      const name = ref.slice("#/components/schemas/".length);
      uses.set(name, [...(uses.get(name) ?? []), { op, body: JSON.stringify(op.requestBody) }]);
    }
  }
  const text = JSON.stringify(doc);
  for (const [name, found] of uses) {
    const everywhere = text.split(`"#/components/schemas/${name}"`).length - 1;
    // Only schemas used solely, and identically, as request bodies.
    if (everywhere !== found.length || new Set(found.map((u) => u.body)).size !== 1 || !schemas[name]) continue;
    const body = JSON.parse(found[0]!.body) as Json;
    for (const media of Object.values<Json>(body.content)) media.schema = schemas[name];
    doc.components.requestBodies = { ...doc.components.requestBodies, [name]: body };
    delete schemas[name];
    for (const { op } of found) op.requestBody = { $ref: `#/components/requestBodies/${name}` };
  }
  return doc;
}

const documents = new WeakMap<App, string>();

/** The document's configuration-independent part, generated once per app. */
function baseDocument(app: App): string {
  let text = documents.get(app);
  if (text === undefined) {
    const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: INFO }) as Json;
    text = JSON.stringify(documentResponseHeaders(moveRequestBodies(doc)));
    documents.set(app, text);
  }
  return text;
}

/** `PUBLIC_ORIGIN` when set (no trailing slash), else the request's own origin. */
export function publicOrigin(c: Context<AppEnv>): string {
  const configured = (c.env as Partial<Bindings> | undefined)?.PUBLIC_ORIGIN?.trim();
  return configured ? configured.replace(/\/+$/, "") : new URL(c.req.url).origin;
}

/**
 * /openapi.json for this deployment: the routes' document, plus what only the configuration
 * knows: the server's public origin, and the configured rate-limit tiers as the `enum` of every
 * `rate_limit_tier` in requests (so generated clients and fuzzers offer only names the server takes).
 */
export function openApiDocument(app: App, c: Context<AppEnv>): Json {
  const doc = JSON.parse(baseDocument(app)) as Json;
  doc.servers = [{ url: publicOrigin(c) }];
  const tiers = Object.keys(rateLimitTiers(c.env ?? {}));
  for (const body of Object.values<Json>(doc.components?.requestBodies ?? {})) {
    for (const media of Object.values<Json>(body.content ?? {})) {
      const tier = media.schema?.properties?.rate_limit_tier as Json | undefined;
      if (!tier) continue;
      // With `type: ["string", "null"]`, null must be listed too: `enum` applies to every type.
      const nullable = Array.isArray(tier.type) && tier.type.includes("null");
      tier.enum = nullable ? [...tiers, null] : tiers;
    }
  }
  return doc;
}
