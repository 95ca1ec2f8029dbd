import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/lib/problem";
import { decodeCursor, readPage } from "../../src/lib/cursor";

/** A table's rows as its list query returns them: newest (highest seq) first, below a cursor. */
function tableOf(seqs: number[]) {
  const rows = [...new Set(seqs)].sort((a, b) => b - a).map((seq) => ({ seq }));
  return (beforeSeq: number, limit: number) => Promise.resolve(rows.filter((r) => r.seq < beforeSeq).slice(0, limit + 1));
}

describe("pages", () => {
  it("walked by next_cursor, give every row exactly once, newest first, at most `limit` a page, and end with next_cursor null", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 1_000_000 }), { maxLength: 60 }), fc.integer({ min: 1, max: 100 }), async (seqs, limit) => {
        const read = tableOf(seqs);
        const seen: number[] = [];
        let cursor: string | undefined;
        for (let pages = 0; ; pages++) {
          expect(pages).toBeLessThanOrEqual(seqs.length + 1);
          const page = await readPage({ limit, cursor }, read, (rows) => rows.map((r) => r.seq));
          expect(page.data.length).toBeLessThanOrEqual(limit);
          seen.push(...page.data);
          if (page.next_cursor === null) break;
          expect(page.data).toHaveLength(limit);
          cursor = page.next_cursor;
        }
        expect(seen).toEqual([...new Set(seqs)].sort((a, b) => b - a));
      }),
    );
  });

  it("start at the first page for an absent or empty cursor", () => {
    expect(decodeCursor(undefined)).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeCursor("")).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("refuse any cursor this API did not issue with 400 invalid_cursor naming the cursor field", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), (cursor) => {
        fc.pre(!/^[A-Za-z0-9_-]+$/.test(cursor) || !/^s:\d{1,15}$/.test(atobSafe(cursor)));
        let thrown: unknown;
        try {
          decodeCursor(cursor);
        } catch (err) {
          thrown = err;
        }
        expect(thrown).toBeInstanceOf(ApiError);
        expect(thrown).toMatchObject({ code: "invalid_cursor", status: 400, extra: { errors: [{ path: "cursor" }] } });
      }),
    );
  });
});

function atobSafe(text: string): string {
  try {
    return atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    return "";
  }
}
