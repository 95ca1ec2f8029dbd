import fc from "fast-check";

/**
 * fast-check arbitraries for values a JSON Schema (OpenAPI 3.1) allows: what a schema-driven
 * fuzzer or a generated client may send. Covers what /openapi.json uses: $ref, enum, const,
 * type lists, anyOf/oneOf, allOf (as filters), if/then, string formats and patterns (lengths in
 * code points, as JSON Schema counts them), integer bounds, arrays and strict objects.
 */
type Schema = Record<string, any>;

const DAY = 86_400_000;
const codePoints = (s: string) => [...s].length;

export class SchemaArbitraries {
  constructor(private readonly doc: Schema) {}

  resolve(schema: Schema): Schema {
    let s = schema;
    while (s && typeof s.$ref === "string") {
      s = s.$ref
        .slice(2)
        .split("/")
        .reduce((node: Schema, part: string) => node[part.replace(/~1/g, "/").replace(/~0/g, "~")], this.doc);
    }
    return s;
  }

  /** Values the schema allows. `name` is the property name, for rules stated only in words (expires_at: in the future). */
  of(input: Schema, name = ""): fc.Arbitrary<unknown> {
    const schema = this.resolve(input);
    if (!schema || Object.keys(schema).length === 0) return fc.jsonValue({ maxDepth: 1 });
    const { anyOf, oneOf, allOf, if: _if, then: _then, ...base } = schema;
    let arb: fc.Arbitrary<unknown>;
    const branches = (anyOf ?? oneOf) as Schema[] | undefined;
    if (branches) arb = fc.oneof(...branches.map((b) => this.of({ ...stripKeywords(base), ...this.resolve(b) }, name)));
    else if (schema.const !== undefined) arb = fc.constant(schema.const);
    else if (Array.isArray(schema.enum)) arb = fc.constantFrom(...schema.enum);
    else if (Array.isArray(schema.type)) arb = fc.oneof(...schema.type.map((t: string) => this.of({ ...base, type: t }, name)));
    else arb = this.ofType(base, name);
    const rules = [...(allOf ?? []), ...(_if ? [{ if: _if, then: _then }] : [])].map((r) => this.resolve(r));
    return rules.length ? arb.filter((v) => rules.every((r) => this.satisfies(v, r))) : arb;
  }

  private ofType(s: Schema, name: string): fc.Arbitrary<unknown> {
    switch (s.type) {
      case "null":
        return fc.constant(null);
      case "boolean":
        return fc.boolean();
      case "integer":
      case "number": {
        const min = s.minimum ?? -1e9;
        const max = Math.min(s.maximum ?? 1e9, Number.MAX_SAFE_INTEGER);
        return fc.oneof(fc.integer({ min: Math.max(min, -1e9), max: Math.min(max, 1e9) }), fc.constantFrom(min, max));
      }
      case "array":
        return fc.array(this.of(s.items ?? {}), { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 5, 5) });
      case "object": {
        const props = Object.fromEntries(Object.entries<Schema>(s.properties ?? {}).map(([k, v]) => [k, this.of(v, k)]));
        return fc.record(props, { requiredKeys: s.required ?? [] });
      }
      default:
        return this.string(s, name);
    }
  }

  private string(s: Schema, name: string): fc.Arbitrary<string> {
    const min = s.minLength ?? 0;
    const max = s.maxLength ?? 200;
    const pattern = s.pattern ? new RegExp(s.pattern, "u") : null;
    const fits = (v: string) => codePoints(v) >= min && codePoints(v) <= max && (!pattern || pattern.test(v));
    const future = /expires/.test(name);
    const date = (from: number) => fc.date({ min: new Date(from), max: new Date("9999-12-31T00:00:00Z"), noInvalidDate: true });
    let arb: fc.Arbitrary<string>;
    switch (s.format) {
      case "date-time":
        arb = date(future ? Date.now() + DAY : 0).map((d) => d.toISOString());
        break;
      case "date":
        arb = date(future ? Date.now() + 2 * DAY : 0).map((d) => d.toISOString().slice(0, 10));
        break;
      case "ipv4":
        arb = fc.ipV4();
        break;
      case "ipv6":
        arb = fc.ipV6();
        break;
      case "uuid":
        arb = fc.uuid();
        break;
      case "uri":
        // An origin (no path allowed) or a web URL, whichever the pattern asks for.
        arb = s.pattern?.includes("[^/?#")
          ? fc
              .tuple(fc.constantFrom("http", "https", "HTTPS"), fc.domain(), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }))
              .map(([scheme, host, port]) => `${scheme}://${host}${port ? `:${port}` : ""}`)
          : fc.webUrl({ validSchemes: ["http", "https"] });
        break;
      default:
        arb = pattern
          ? fc.stringMatching(pattern, { size: "small" })
          : fc.string({ unit: fc.oneof(fc.constant("a"), fc.constant(" "), fc.constant("é"), fc.constant("😀"), fc.string({ unit: "binary", minLength: 1, maxLength: 1 })), minLength: min, maxLength: max });
    }
    return arb.filter(fits);
  }

  /** Enough of JSON Schema validation for allOf/if-then rules: const, enum, required, properties, items, not, pattern. */
  satisfies(value: unknown, input: Schema): boolean {
    const s = this.resolve(input);
    if (s.if !== undefined) return !this.satisfies(value, s.if) || this.satisfies(value, s.then ?? {});
    if (s.const !== undefined && value !== s.const) return false;
    if (Array.isArray(s.enum) && !s.enum.includes(value)) return false;
    if (s.not && this.satisfies(value, s.not)) return false;
    if (s.pattern && !(typeof value === "string" && new RegExp(s.pattern, "u").test(value))) return false;
    if (value && typeof value === "object" && !Array.isArray(value)) {
      const obj = value as Record<string, unknown>;
      if ((s.required ?? []).some((k: string) => !(k in obj))) return false;
      for (const [k, sub] of Object.entries<Schema>(s.properties ?? {})) if (k in obj && !this.satisfies(obj[k], sub)) return false;
    }
    if (Array.isArray(value) && s.items) return value.every((v) => this.satisfies(v, s.items));
    return true;
  }
}

/** A parent's annotations and bounds carried into anyOf branches, without its combinators. */
function stripKeywords(base: Schema): Schema {
  const { description: _d, example: _e, ...rest } = base;
  return rest;
}
