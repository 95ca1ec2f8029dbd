import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { insertInto, rowMapper, updateById } from "../../src/db/statements";
import { apiKeys, partners, TABLES, users, type Column, type Table } from "../../src/db/tables";

// The table declarations (src/db/tables.ts) against the schema D1 really holds (test/setup.ts
// applied schema.sql), and the statements built from them against D1 itself.

interface SchemaColumn {
  name: string;
  type: string;
  notnull: number;
  pk: number;
}

const schemaColumns = async (table: string) =>
  (await env.DB.prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1)").bind(table).all<SchemaColumn>()).results;

const SQL_TYPES: Record<Column["kind"], string> = { text: "TEXT", int: "INTEGER", list: "TEXT", json: "TEXT" };

describe("table declarations", () => {
  it.each(TABLES.map((t) => [t.name, t] as const))("%s: every column of schema.sql is declared, and only those, with its type and nullability", async (_, table) => {
    const columns = await schemaColumns(table.name);
    expect(columns.length).toBeGreaterThan(0);
    expect(columns.map((c) => c.name)).toEqual(Object.keys(table.columns));
    for (const c of columns) {
      const declared = (table.columns as Record<string, Column>)[c.name]!;
      expect([c.name, c.type]).toEqual([c.name, SQL_TYPES[declared.kind]]);
      // The rowid alias (`seq`) is never NULL, though SQLite does not mark it NOT NULL.
      expect([c.name, declared.nullable]).toEqual([c.name, c.notnull === 0 && c.pk === 0]);
    }
  });

  it("builders take column names from the declaration only", () => {
    expect(() => insertInto(env.DB, partners, { "name) VALUES (1); --": "x" } as never)).toThrow(/no column/);
    expect(() => updateById(env.DB, apiKeys, "key_x", { name: "x" }, { whileNull: "nope" as never })).toThrow(/no column/);
  });
});

/** Any value a column may hold, from its declaration. */
function valueOf(column: Column): fc.Arbitrary<unknown> {
  const text = fc.string({ unit: "grapheme", maxLength: 24 });
  const base: Record<Column["kind"], fc.Arbitrary<unknown>> = {
    text: column.values ? fc.constantFrom(...column.values) : text,
    int: fc.maxSafeInteger(),
    list: fc.array(text, { maxLength: 5 }),
    json: fc.record({ previous_origins: fc.array(text, { maxLength: 3 }), credits: fc.option(fc.maxSafeInteger(), { nil: null }) }, { requiredKeys: [] }),
  };
  return column.nullable ? fc.option(base[column.kind]!, { nil: null }) : base[column.kind]!;
}

/** A whole row of `table` but its `seq`, with `fixed` columns (unique ids, foreign keys) given. */
function rowOf(table: Table, fixed: fc.Arbitrary<Record<string, unknown>>) {
  const columns = Object.entries(table.columns).filter(([name]) => name !== "seq");
  const free = fc.record(Object.fromEntries(columns.map(([name, column]) => [name, valueOf(column)])));
  return fc.tuple(free, fixed).map(([values, keys]) => ({ ...values, ...keys }));
}

const uniqueId = fc.uuid().map((id) => `t-${id}`);

/**
 * Inserts `values` as a fresh row. One FC_SEED drives every property of a run, so two properties
 * (or a shrink) may draw the same unique value again: the row holding it goes first.
 */
async function insertAndRead(table: Table, values: Record<string, unknown>) {
  for (const column of ["id", "key_id", "slug", "email"].filter((name) => values[name] !== undefined)) {
    await env.DB.prepare(`DELETE FROM ${table.name} WHERE ${column} = ?1`).bind(values[column]).run();
  }
  await insertInto(env.DB, table, values).run();
  // usage_buckets is keyed by (key_id, granularity, start) and has no seq; every other table has id and seq.
  const keyColumn = "id" in table.columns ? "id" : "key_id";
  const row = await env.DB.prepare(`SELECT * FROM ${table.name} WHERE ${keyColumn} = ?1`).bind(values[keyColumn]).first();
  const { seq, ...read } = rowMapper(table)(row!) as Record<string, unknown>;
  if (keyColumn === "id") expect(seq).toBeTypeOf("number");
  return read;
}

async function aPartner() {
  const id = `t-${crypto.randomUUID()}`;
  const at = new Date().toISOString();
  await insertInto(env.DB, partners, { id, slug: id, name: "n", contact_email: "e", website_url: "w", created_at: at, updated_at: at }).run();
  return id;
}

describe("insert, then read back through the mapper, is the identity", () => {
  it("for every table, on random values of every declared column", async () => {
    const partnerId = await aPartner();
    const userId = `t-${crypto.randomUUID()}`;
    await insertInto(env.DB, users, { id: userId, partner_id: partnerId, first_name: "a", last_name: "b", email: userId, role: "R", kind: "bot", permissions: [], created_at: "x", updated_at: "x" }).run();

    // Columns with UNIQUE or foreign-key constraints get values that meet them; the rest are free.
    const fixed: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
      partners: fc.record({ id: uniqueId, slug: uniqueId }),
      users: fc.record({ id: uniqueId, email: uniqueId, partner_id: fc.constant(partnerId) }),
      api_keys: fc.record({ id: uniqueId, partner_id: fc.constant(partnerId), user_id: fc.constantFrom(null, userId) }),
      audit_events: fc.record({ id: uniqueId }),
      events: fc.record({ id: uniqueId }),
      usage_buckets: fc.record({ key_id: uniqueId }),
      dashboard_sessions: fc.record({ id: uniqueId, token_hash: uniqueId }),
      passkeys: fc.record({ id: uniqueId, credential_id: uniqueId }),
      webauthn_challenges: fc.record({ id: uniqueId }),
      webhooks: fc.record({ id: uniqueId }),
      webhook_deliveries: fc.record({ id: uniqueId, webhook_id: uniqueId }),
    };
    for (const table of TABLES) {
      await fc.assert(
        fc.asyncProperty(rowOf(table, fixed[table.name]!), async (values) => {
          expect(await insertAndRead(table, values)).toEqual(values);
        }),
        { numRuns: 25 },
      );
    }
  });

  it("an update sets exactly the given columns and bumps the version; a guarded one leaves a revoked row alone", async () => {
    const partnerId = await aPartner();
    const keyRow = rowOf(apiKeys, fc.record({ id: uniqueId, partner_id: fc.constant(partnerId), user_id: fc.constant(null), revoked_at: fc.constant(null) }));
    const mutable = ["name", "description", "scopes", "allowed_ips", "credits_remaining", "expires_at"] as const;
    const patch = fc.record(Object.fromEntries(mutable.map((name) => [name, valueOf(apiKeys.columns[name])])), { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(keyRow, patch, async (values, changes) => {
        const before = await insertAndRead(apiKeys, values);
        const [updated] = await env.DB.batch([updateById(env.DB, apiKeys, values.id as string, changes, { whileNull: "revoked_at", returning: true })]);
        const { seq: _, ...after } = rowMapper(apiKeys)(updated!.results[0] as Record<string, unknown>) as Record<string, unknown>;
        expect(after).toEqual({ ...before, ...changes, version: (before.version as number) + 1 });

        await env.DB.prepare("UPDATE api_keys SET revoked_at = 'r' WHERE id = ?1").bind(values.id).run();
        const refused = await updateById(env.DB, apiKeys, values.id as string, { name: "late" }, { whileNull: "revoked_at" }).run();
        expect(refused.meta.changes).toBe(0);
      }),
      { numRuns: 15 },
    );
  });
});
