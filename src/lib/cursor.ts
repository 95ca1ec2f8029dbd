import { ApiError } from "./problem";
import { base64UrlDecode, base64UrlEncode } from "./encoding";

/** Opaque page cursor over a table's `seq`; lists run newest first, so the next page is `seq < cursor`. */
const encodeCursor = (seq: number) => base64UrlEncode(`s:${seq}`);

/** Absent or empty (`?cursor=`) is the first page. */
export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === "") return Number.MAX_SAFE_INTEGER;
  const match = /^s:(\d{1,15})$/.exec(base64UrlDecode(cursor) ?? "");
  if (!match) {
    throw new ApiError("invalid_cursor", "The cursor is not one this API returned.", {
      errors: [{ path: "cursor", message: "Invalid cursor" }],
    });
  }
  return Number(match[1]);
}

/** Splits a `limit + 1` query result into a page and the cursor of the next one. */
function page<T extends { seq: number }>(rows: T[], limit: number) {
  const more = rows.length > limit;
  const data = more ? rows.slice(0, limit) : rows;
  return { data, next_cursor: more ? encodeCursor(data[data.length - 1]!.seq) : null };
}

/**
 * One page of a list, newest first, as every list route answers it: `read` gets the `seq` to start
 * below and how many rows to fetch (one more than the page, so the next cursor is known without a
 * count), and `serialize` shapes the rows of the page.
 */
export async function readPage<T extends { seq: number }, S>(
  query: { limit: number; cursor?: string },
  read: (beforeSeq: number, limit: number) => Promise<T[]>,
  serialize: (rows: T[]) => S[] | Promise<S[]>,
): Promise<{ data: S[]; next_cursor: string | null }> {
  const { data, next_cursor } = page(await read(decodeCursor(query.cursor), query.limit), query.limit);
  return { data: await serialize(data), next_cursor };
}
