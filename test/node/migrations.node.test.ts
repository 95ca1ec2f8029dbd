import { readdirSync, readFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";

// DESIGN §3b: schema.sql (the whole current schema, for fresh state) equals every migration under
// migrations/ applied in order, which is what `wrangler d1 migrations apply DB` does to a database.
// Runs in Node on its built-in SQLite (node:sqlite): two throwaway in-memory databases, one per path,
// compared object by object, column by column, index by index.

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

// wrangler's default pattern is migrations/*.sql, applied in file-name order.
const migrationNames = readdirSync(new URL("migrations/", root))
  .filter((name) => name.endsWith(".sql"))
  .sort();
const migrations = migrationNames.map((name) => ({ name, sql: read(`migrations/${name}`) }));
const schemaSql = read("schema.sql");

function database(...scripts: string[]) {
  const db = new DatabaseSync(":memory:");
  for (const script of scripts) db.exec(script);
  return db;
}

/** SQL as SQLite stored it, minus what does not change meaning: comments, spacing, case, identifier quotes. */
function normalizeSql(sql: string | null) {
  if (sql === null) return null;
  return sql
    .replace(/--[^\n]*/g, " ")
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/"([A-Za-z_][A-Za-z0-9_]*)"/g, "$1")
    .replace(/\s+/g, " ")
    .replace(/\s*([(),])\s*/g, "$1")
    .trim()
    .toLowerCase();
}

type Row = Record<string, unknown>;

/** Everything a schema is made of, in a stable order; D1's own bookkeeping tables left out. */
function describeSchema(db: DatabaseSync) {
  const all = (sql: string, ...params: string[]) => db.prepare(sql).all(...params) as Row[];
  const objects = all(
    `SELECT type, name, tbl_name, sql FROM sqlite_master
     WHERE substr(tbl_name, 1, 4) <> '_cf_' AND tbl_name <> 'd1_migrations'
     ORDER BY type, name`,
  );
  return objects.map((o) => {
    const name = String(o.name);
    const entry: Row = { type: o.type, name, tbl_name: o.tbl_name, sql: normalizeSql(o.sql as string | null) };
    if (o.type === "table") {
      entry.columns = all("SELECT cid, name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?)", name);
      entry.indexes = all('SELECT name, "unique", origin, partial FROM pragma_index_list(?) ORDER BY name', name).map((ix) => ({
        ...ix,
        keys: all("SELECT seqno, cid, name, \"desc\", coll, \"key\" FROM pragma_index_xinfo(?)", String(ix.name)),
      }));
      entry.foreign_keys = all('SELECT id, seq, "table", "from", "to", on_update, on_delete, "match" FROM pragma_foreign_key_list(?)', name);
    }
    return entry;
  });
}

const plain = (rows: unknown) => JSON.parse(JSON.stringify(rows)) as unknown;

describe("D1 migrations", () => {
  it("are named NNNN_name.sql with unique numbers, starting at 0001", () => {
    expect(migrationNames.length).toBeGreaterThan(0);
    for (const name of migrationNames) expect(name).toMatch(/^\d{4}_[a-z0-9_]+\.sql$/);
    const numbers = migrationNames.map((name) => Number(name.slice(0, 4)));
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(numbers[0]).toBe(1);
  });

  it("applied in order give exactly schema.sql's schema", () => {
    const fromSchema = describeSchema(database(schemaSql));
    const fromMigrations = describeSchema(database(...migrations.map((m) => m.sql)));
    expect(fromSchema.length).toBeGreaterThan(0);
    expect(plain(fromMigrations), "migrations/ applied in order (received) vs schema.sql (expected): every schema change needs a migration and its mirror in schema.sql").toEqual(plain(fromSchema));
  });

  it("upgrade a database made by the pre-migration `--file schema.sql` path without losing data", () => {
    // Such a database holds 0001's tables (the schema.sql of that time) but no d1_migrations row,
    // so `wrangler d1 migrations apply` runs every migration on it, 0001 included.
    const db = database(migrations[0]!.sql);
    const now = new Date().toISOString();
    db.prepare(
      "INSERT INTO partners (id, slug, name, contact_email, website_url, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).run("p1", "kept", "Kept", "k@example.com", "https://example.com", now, now);
    for (const m of migrations) db.exec(m.sql);
    expect(plain(db.prepare("SELECT slug FROM partners").all())).toEqual([{ slug: "kept" }]);
    expect(plain(describeSchema(db))).toEqual(plain(describeSchema(database(schemaSql))));
  });

  it("schema.sql records every migration as applied, so migrating a database it made runs nothing", () => {
    const db = database(schemaSql);
    const recorded = (db.prepare("SELECT name FROM d1_migrations ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    expect(recorded).toEqual(migrationNames);
    // What `wrangler d1 migrations apply` would still run there: nothing (ALTERs would fail if re-run).
    expect(migrationNames.filter((name) => !recorded.includes(name))).toEqual([]);
  });

  it("schema.sql can be re-applied on its own result (fresh-state setup stays idempotent)", () => {
    const db = database(schemaSql, schemaSql);
    expect(plain(describeSchema(db))).toEqual(plain(describeSchema(database(schemaSql))));
  });
});
