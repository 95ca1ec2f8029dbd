/** List columns are JSON arrays in D1; a damaged value reads as empty rather than failing the request. */
export function parseList(value: unknown): string[] {
  const parsed = parseJson(value);
  return Array.isArray(parsed) ? parsed.filter((v): v is string => typeof v === "string") : [];
}

/** Object columns (an event's payload) are JSON objects; a damaged value reads as `{}`, like a damaged list reads as empty. */
export function parseObject<T extends object>(value: unknown): T {
  const parsed = parseJson(value);
  return (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : {}) as T;
}

function parseJson(value: unknown): unknown {
  if (typeof value !== "string") return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}
