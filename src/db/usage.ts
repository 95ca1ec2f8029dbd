import { OUTCOMES, type Counts, type Granularity, type UsageRange } from "../usage/buckets";

const COUNT_COLUMNS = OUTCOMES.join(", ");

export const usageSql = {
  seqOf: `SELECT usage_seq FROM api_keys WHERE id = ?1`,
  keyRange: `SELECT start, ${COUNT_COLUMNS} FROM usage_buckets WHERE key_id = ?1 AND granularity = ?2 AND start >= ?3 AND start < ?4`,
  partnerRange: `SELECT start, ${OUTCOMES.map((o) => `SUM(${o}) AS ${o}`).join(", ")} FROM usage_buckets
    WHERE partner_id = ?1 AND granularity = ?2 AND start >= ?3 AND start < ?4 GROUP BY start`,
  prune: `DELETE FROM usage_buckets WHERE (key_id, granularity, start) IN
    (SELECT key_id, granularity, start FROM usage_buckets WHERE granularity = ?1 AND start < ?2 LIMIT ?3)`,
};

const iso = (ms: number) => new Date(ms).toISOString();

const countsByStart = (rows: Record<string, unknown>[]) =>
  new Map(rows.map((row) => [Date.parse(String(row.start)), Object.fromEntries(OUTCOMES.map((o) => [o, Number(row[o] ?? 0)])) as Counts]));

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
