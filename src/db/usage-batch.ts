import { GRANULARITIES, MEASURES, rollUp, type Counts, type Granularity } from "../usage/buckets";

/**
 * One key's usage flush as the multi-row write takes it: plain values only, so it crosses RPC to
 * a usage aggregator (src/usage/aggregator.ts) unchanged.
 */
export interface UsageEntry {
  keyId: string;
  /** Last admitted request (ISO); null: no last use to write, and then no balance either (as before). */
  usedAt: string | null;
  /** The balance to store; null: the key has no credits (the column is left as it is). */
  credits: number | null;
  /** When the balance was last refilled (ISO); null: leave the column as it is. */
  refilledAt: string | null;
  /** The flush sequence of the segment below; null: no segment (last use only). */
  seq: number | null;
  /** The segment's buckets, minutes rolled up into hours and days, one row per (granularity, start). */
  buckets: UsageBucketRow[];
  /** The segment's notices, in the order they were decided. */
  notices: UsageNoticeRow[];
}

/** [granularity, start (ISO), admitted, rate_limited, credits_exhausted, refused] */
/** [granularity, start, ...one count per MEASURES member, in its order]. */
export type UsageBucketRow = [Granularity, string, ...number[]];

/** An outbox row as `noticeStatement` (./outbox.ts) writes it; `payload` is its JSON text. */
export interface UsageNoticeRow {
  id: string;
  type: string;
  at: string;
  payload: string;
}

/** What D1 holds for an entry's key once the batch committed. */
export interface UsageCommit {
  keyId: string;
  /** `api_keys.usage_seq` after the batch; null when the key is gone from D1 (nothing of it was written). */
  seq: number | null;
}

/** Statements of every `writeUsageBatch`, whatever the number of entries. */
export const USAGE_BATCH_STATEMENTS = 5;

const COUNT_COLUMNS = MEASURES.join(", ");
const ADD_COUNTS = MEASURES.map((m) => `${m} = ${m} + excluded.${m}`).join(", ");
const at = (alias: string, i: number) => `json_extract(${alias}.value, '$[${i}]')`;

// Each statement takes its rows as ONE bound JSON array (D1 allows 100 bound parameters per
// statement, so a multi-row VALUES would cap a batch at a few dozen keys). The segment's rows are
// written only while D1 holds an older sequence for the key (`usage_seq < seq`), and the claim
// that moves it comes after them in the same transaction: a segment D1 already holds (a retry
// whose first answer was lost) or a later one (a guard whose storage was lost) adds nothing.
export const usageBatchSql = {
  /**
   * Rows [key, used_at, has_credits, credits, refilled_at]: the key's last use and balance. Usage from
   * a key's guard: deliberately leaves `version` and `updated_at` alone (not an API change).
   */
  lastUse: `UPDATE api_keys SET last_used_at = e.used_at,
      credits_remaining = CASE WHEN e.has_credits THEN e.credits ELSE credits_remaining END,
      credits_refilled_at = CASE WHEN e.has_credits AND e.refilled_at IS NOT NULL THEN e.refilled_at ELSE credits_refilled_at END
    FROM (SELECT ${at("j", 0)} AS key_id, ${at("j", 1)} AS used_at, ${at("j", 2)} AS has_credits, ${at("j", 3)} AS credits, ${at("j", 4)} AS refilled_at
          FROM json_each(?1) AS j) AS e
    WHERE api_keys.id = e.key_id`,
  /**
   * Rows [key, seq, id, type, at, payload]: the notices' outbox rows, written reacted as
   * `noticeStatement` does; the partner is the key's own. OR IGNORE: an id D1 already holds is that
   * very notice, and one bad row must not fail every other key's flush in the batch.
   */
  notices: `INSERT OR IGNORE INTO events (id, type, partner_id, subject_id, occurred_at, payload, reacted_at)
    SELECT ${at("n", 2)}, ${at("n", 3)}, k.partner_id, k.id, ${at("n", 4)}, ${at("n", 5)}, ${at("n", 4)}
    FROM json_each(?1) AS n JOIN api_keys AS k ON k.id = ${at("n", 0)}
    WHERE k.usage_seq < ${at("n", 1)}
    ORDER BY n.key`,
  /**
   * Rows [key, seq, granularity, start, ...counts]; a count a row lacks (a guard of an earlier release
   * knows fewer MEASURES) is 0. The WHERE also keeps SQLite from reading ON CONFLICT as a join's ON.
   */
  buckets: `INSERT INTO usage_buckets (key_id, partner_id, granularity, start, ${COUNT_COLUMNS})
    SELECT k.id, k.partner_id, ${at("b", 2)}, ${at("b", 3)}, ${MEASURES.map((_, i) => `COALESCE(${at("b", 4 + i)}, 0)`).join(", ")}
    FROM json_each(?1) AS b JOIN api_keys AS k ON k.id = ${at("b", 0)}
    WHERE k.usage_seq < ${at("b", 1)}
    ON CONFLICT (key_id, granularity, start) DO UPDATE SET ${ADD_COUNTS}`,
  /** Rows [key, seq]: the claim, last. */
  claim: `UPDATE api_keys SET usage_seq = e.seq
    FROM (SELECT ${at("j", 0)} AS key_id, ${at("j", 1)} AS seq FROM json_each(?1) AS j) AS e
    WHERE api_keys.id = e.key_id AND api_keys.usage_seq < e.seq`,
  /** Keys [key]: what D1 holds for each after the batch. */
  held: `SELECT id, usage_seq FROM api_keys WHERE id IN (SELECT value FROM json_each(?1))`,
};

/** An entry's buckets from its segment's minutes: every minute, and its hour and day roll-ups. */
export function bucketRows(minutes: readonly [number, Counts][]): UsageBucketRow[] {
  const rows: UsageBucketRow[] = [];
  for (const granularity of GRANULARITIES) {
    for (const [start, c] of rollUp(minutes, granularity)) {
      rows.push([granularity, new Date(start).toISOString(), ...MEASURES.map((m) => c[m])]);
    }
  }
  return rows;
}

/**
 * Writes the usage flushes of many keys in ONE D1 batch (one transaction) of a constant
 * `USAGE_BATCH_STATEMENTS` statements, however many entries: each key's last use and balance,
 * its segment's notices and buckets, and the sequence claim, then reads back each key's
 * `usage_seq`. A caller whose segment's `seq` is now held committed it (now or in an earlier try);
 * a higher one means D1 holds a later flush (continue after it); a key gone from D1 drops out.
 * Entries must be of distinct keys: two segments of one key would be judged against the same
 * `usage_seq` (the aggregator defers the second to its next batch). One log line per batch.
 */
export async function writeUsageBatch(db: D1Database, entries: readonly UsageEntry[], source = "direct"): Promise<UsageCommit[]> {
  if (entries.length === 0) return [];
  const keys = new Set(entries.map((e) => e.keyId));
  if (keys.size !== entries.length) throw new Error("writeUsageBatch: two entries of one key in a batch");
  const json = (rows: unknown[]) => JSON.stringify(rows);
  const used = entries.filter((e) => e.usedAt !== null);
  const segments = entries.filter((e) => e.seq !== null);
  const statements = [
    db.prepare(usageBatchSql.lastUse).bind(json(used.map((e) => [e.keyId, e.usedAt, e.credits !== null ? 1 : 0, e.credits, e.refilledAt]))),
    db.prepare(usageBatchSql.notices).bind(json(segments.flatMap((e) => e.notices.map((n) => [e.keyId, e.seq, n.id, n.type, n.at, n.payload])))),
    db.prepare(usageBatchSql.buckets).bind(json(segments.flatMap((e) => e.buckets.map((b) => [e.keyId, e.seq, ...b])))),
    db.prepare(usageBatchSql.claim).bind(json(segments.map((e) => [e.keyId, e.seq]))),
    db.prepare(usageBatchSql.held).bind(json([...keys])),
  ];
  const started = Date.now();
  const results = await db.batch<{ id: string; usage_seq: number }>(statements);
  const ms = Date.now() - started;
  // Workers Logs: one line per batch, so statements and batches per second can be read off them.
  console.log(JSON.stringify({ level: "info", msg: "usage_batch", source, entries: entries.length, statements: statements.length, ms }));
  const held = new Map(results[statements.length - 1]!.results.map((row) => [row.id, Number(row.usage_seq)]));
  return entries.map((e) => ({ keyId: e.keyId, seq: held.get(e.keyId) ?? null }));
}
