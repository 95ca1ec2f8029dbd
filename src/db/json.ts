/** List columns are JSON arrays in D1; a damaged value reads as empty rather than failing the request. */
export function parseList(value: unknown): string[] {
  if (typeof value !== "string") return [];
  try {
    const parsed = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.filter((v): v is string => typeof v === "string") : [];
  } catch {
    return [];
  }
}

export const list = (values: readonly string[]) => JSON.stringify(values);

type Column = string | number | null;

/**
 * `SET a = ?2, b = ?3` for the given whitelisted columns, binds starting after `firstBind - 1`
 * leading binds. Column names come from code, never from input.
 */
export function setClause(patch: Record<string, Column>, firstBind: number) {
  const columns = Object.keys(patch);
  return {
    sql: columns.map((col, i) => `${col} = ?${firstBind + i}`).join(", "),
    binds: columns.map((col) => patch[col]!),
  };
}
