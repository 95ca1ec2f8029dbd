import { env } from "cloudflare:workers";

/**
 * The real D1 binding, whose batches commit and then lose their answer `times` times (a network
 * failure after the commit: the retry must recognise what D1 already holds). `batches` records the
 * statements of each batch.
 */
export function lostAnswersD1(times = 1): { db: D1Database; batches: number[] } {
  const batches: number[] = [];
  let left = times;
  const db = new Proxy(env.DB, {
    get(target, name) {
      if (name !== "batch") return Reflect.get(target, name).bind(target);
      return async (statements: D1PreparedStatement[]) => {
        batches.push(statements.length);
        const results = await target.batch(statements);
        if (left-- > 0) throw new Error("network: the answer was lost");
        return results;
      };
    },
  });
  return { db, batches };
}
