import { parseList, parseObject } from "./json";
import type { Columns, RowOf, Table } from "./tables";

type Values<T extends Table> = Partial<RowOf<T>>;

/**
 * The row mapper of a table: list and json columns parsed, everything else as D1 returns it.
 * Extra columns (a join's) pass through untouched.
 *
 * @example
 * ```ts
 * const toPartner = rowMapper(partners);
 * const partner = toPartner(await db.prepare("SELECT * FROM partners WHERE id = ?1").bind(id).first());
 * ```
 */
export function rowMapper<T extends Table>(table: T): (row: Record<string, unknown>) => RowOf<T> {
  const parsed = Object.entries(table.columns as Columns).filter(([, c]) => c.kind === "list" || c.kind === "json");
  return (row) => {
    const out: Record<string, unknown> = { ...row };
    for (const [name, c] of parsed) {
      if (c.nullable && row[name] === null) continue;
      out[name] = c.kind === "list" ? parseList(row[name]) : parseObject(row[name]);
    }
    return out as RowOf<T>;
  };
}

/**
 * The columns `values` sets, in declaration order, with their binds. Column names come from the
 * declaration only: a name it does not hold is a programming error, never SQL.
 */
function assignments<T extends Table>(table: T, values: Values<T>) {
  const columns = table.columns as Columns;
  for (const name of Object.keys(values)) {
    if (!Object.hasOwn(columns, name)) throw new Error(`${table.name} has no column ${name}`);
  }
  const names = Object.keys(columns).filter((name) => (values as Record<string, unknown>)[name] !== undefined);
  const binds = names.map((name) => {
    const value = (values as Record<string, unknown>)[name];
    const kind = columns[name]!.kind;
    return (kind === "list" || kind === "json") && value !== null ? JSON.stringify(value) : (value as string | number | null);
  });
  return { names, binds };
}

export interface InsertOptions {
  /** Insert only if the statement just before it in the batch changed a row (SQLite's `changes()`). */
  ifChanged?: boolean;
  /** `RETURNING *`: the answer comes from the commit itself, so no read after it can fail. */
  returning?: boolean;
}

/** `INSERT INTO <table> (<the columns values sets>) VALUES (?1, …)`. */
export function insertInto<T extends Table>(db: D1Database, table: T, values: Values<T>, options: InsertOptions = {}): D1PreparedStatement {
  const { names, binds } = assignments(table, values);
  const placeholders = names.map((_, i) => `?${i + 1}`).join(", ");
  const source = options.ifChanged ? `SELECT ${placeholders} WHERE changes() > 0` : `VALUES (${placeholders})`;
  const sql = `INSERT INTO ${table.name} (${names.join(", ")}) ${source}${options.returning ? " RETURNING *" : ""}`;
  return db.prepare(sql).bind(...binds);
}

export interface UpdateOptions<T extends Table> {
  /** Change the row only while this column is NULL (e.g. `revoked_at`: a revoked key stays as it is). */
  whileNull?: keyof T["columns"] & string;
  returning?: boolean;
}

/**
 * `UPDATE <table> SET <the columns values sets> WHERE id = ?1`. Every change made through the API
 * bumps the row's `version` (cached copies carry it; the key's guard refuses older ones), so this
 * builder does it wherever the table has one. Usage flushes, which must not, do not come here.
 */
export function updateById<T extends Table>(
  db: D1Database,
  table: T,
  id: string,
  values: Values<T>,
  options: UpdateOptions<T> = {},
): D1PreparedStatement {
  const { names, binds } = assignments(table, values);
  const set = names.map((name, i) => `${name} = ?${i + 2}`);
  if ("version" in table.columns && !names.includes("version")) set.push("version = version + 1");
  if (options.whileNull !== undefined && !Object.hasOwn(table.columns, options.whileNull)) {
    throw new Error(`${table.name} has no column ${options.whileNull}`);
  }
  const guard = options.whileNull ? ` AND ${options.whileNull} IS NULL` : "";
  const sql = `UPDATE ${table.name} SET ${set.join(", ")} WHERE id = ?1${guard}${options.returning ? " RETURNING *" : ""}`;
  return db.prepare(sql).bind(id, ...binds);
}
