import { MEASURES, rollUp, GRANULARITIES, type Counts, type Granularity, type UsageRange } from "../usage/buckets";
import type { UsageSegment } from "../usage/tally";

const COUNT_COLUMNS = MEASURES.join(", ");
const ADD_COUNTS = MEASURES.map((m) => `${m} = ${m} + excluded.${m}`).join(", ");

export const usageSql = {
  seqOf: `SELECT usage_seq FROM api_keys WHERE id = ?1`,
  /** Claims flush `?2` of partner `?1`'s shared balance (its refills' usage rows: src/limiter/pool-shared.ts). */
  claimPartnerSeq: `UPDATE partners SET usage_seq = ?2 WHERE id = ?1 AND usage_seq < ?2`,
  partnerSeqOf: `SELECT usage_seq FROM partners WHERE id = ?1`,
  /** One bucket's counts added, only if the statement before it in the batch changed a row (the chain from claimPartnerSeq). */
  addBucket: `INSERT INTO usage_buckets (key_id, partner_id, granularity, start, ${COUNT_COLUMNS})
    SELECT ?1, ?2, ?3, ?4, ${MEASURES.map((_, i) => `?${i + 5}`).join(", ")} WHERE changes() > 0
    ON CONFLICT (key_id, granularity, start) DO UPDATE SET ${ADD_COUNTS}`,
  keyRange: `SELECT start, ${COUNT_COLUMNS} FROM usage_buckets WHERE key_id = ?1 AND granularity = ?2 AND start >= ?3 AND start < ?4`,
  partnerRange: `SELECT start, ${MEASURES.map((m) => `SUM(${m}) AS ${m}`).join(", ")} FROM usage_buckets
    WHERE partner_id = ?1 AND granularity = ?2 AND start >= ?3 AND start < ?4 GROUP BY start`,
  prune: `DELETE FROM usage_buckets WHERE (key_id, granularity, start) IN
    (SELECT key_id, granularity, start FROM usage_buckets WHERE granularity = ?1 AND start < ?2 LIMIT ?3)`,
};

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The statements that write one flush segment of a partner's shared balance (its refills: rows
 * whose key_id is the partner's own id, src/limiter/pool-shared.ts): the sequence claim, then every
 * minute and its hour and day roll-ups. Chained on `changes()`, so a segment D1 already holds adds
 * nothing. Keys' flushes go many at a time through ./usage-batch.ts; a partner's refill is rare.
 */
export function sharedSegmentStatements(db: D1Database, partnerId: string, segment: UsageSegment): D1PreparedStatement[] {
  const statements = [db.prepare(usageSql.claimPartnerSeq).bind(partnerId, segment.seq)];
  for (const granularity of GRANULARITIES) {
    for (const [start, counts] of rollUp(segment.minutes, granularity)) {
      statements.push(db.prepare(usageSql.addBucket).bind(partnerId, partnerId, granularity, iso(start), ...MEASURES.map((m) => counts[m])));
    }
  }
  return statements;
}

const countsByStart = (rows: Record<string, unknown>[]) =>
  new Map(rows.map((row) => [Date.parse(String(row.start)), Object.fromEntries(MEASURES.map((m) => [m, Number(row[m] ?? 0)])) as Counts]));

const rangeBinds = (range: UsageRange) => [range.granularity, iso(range.from), iso(range.to)] as const;

/** A key's stored buckets in range, and the last flush D1 holds for it (read in one transaction). */
export async function storedKeyUsage(db: D1Database, keyId: string, range: UsageRange): Promise<{ seq: number; counts: Map<number, Counts> }> {
  const [seq, rows] = await db.batch([db.prepare(usageSql.seqOf).bind(keyId), db.prepare(usageSql.keyRange).bind(keyId, ...rangeBinds(range))]);
  return { seq: Number((seq!.results[0] as { usage_seq?: number } | undefined)?.usage_seq ?? 0), counts: countsByStart(rows!.results as Record<string, unknown>[]) };
}

export async function storedPartnerUsage(db: D1Database, partnerId: string, range: UsageRange): Promise<Map<number, Counts>> {
  const { results } = await db.prepare(usageSql.partnerRange).bind(partnerId, ...rangeBinds(range)).all();
  return countsByStart(results as Record<string, unknown>[]);
}

/** Deletes up to `limit` rows of `granularity` older than `before`; returns how many. */
export async function pruneUsage(db: D1Database, granularity: Granularity, before: number, limit: number): Promise<number> {
  const { meta } = await db.prepare(usageSql.prune).bind(granularity, iso(before), limit).run();
  return meta.changes;
}
