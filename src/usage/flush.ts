import { keySql } from "../db/keys";
import { segmentStatements, usageSql } from "../db/usage";
import { OUTCOMES } from "./buckets";
import type { UsageSegment, UsageTally } from "./tally";

export interface FlushState {
  keyId: string;
  /** Absent in policies stored before usage counting: the statements look it up. */
  partnerId: string | undefined;
  /** ms of the last admitted request, if any. */
  usedAt: number | undefined;
  credits: number | null;
}

/**
 * A key's usage flush: last use, the credit balance and the usage counts in one D1 batch. The
 * counts' segment keeps its sequence number until D1 is known to hold it, so a retry never counts
 * twice; `persist` records the tally before the write (the segment now in flight) and after it.
 * Returns false when there was nothing to write.
 */
export async function flushUsage(
  db: D1Database,
  state: FlushState,
  tally: UsageTally,
  persist: () => void,
  analytics?: AnalyticsEngineDataset,
): Promise<boolean> {
  const statements: D1PreparedStatement[] = [];
  if (state.usedAt !== undefined) {
    statements.push(db.prepare(keySql.flushUsage).bind(state.keyId, new Date(state.usedAt).toISOString(), state.credits !== null ? 1 : 0, state.credits));
  }
  const first = statements.length;
  const segment = tally.takeForFlush();
  if (segment) {
    persist();
    statements.push(...segmentStatements(db, state.keyId, state.partnerId ?? null, segment));
  }
  if (statements.length === 0) return false;
  const results = await db.batch(statements);
  if (segment) {
    // The claim changed nothing: D1 already holds this segment (an earlier try committed and its
    // answer was lost) or a later one (this object's storage was lost: continue after it).
    const claimed = results[first]!.meta.changes > 0;
    const committed = claimed ? segment.seq : ((await db.prepare(usageSql.seqOf).bind(state.keyId).first<{ usage_seq: number }>())?.usage_seq ?? segment.seq);
    if (committed > segment.seq) {
      tally.skipTo(committed);
    } else {
      // Analytics Engine has no idempotency: it takes the segment once D1 is known to hold it, so
      // only a crash between the two writes could repeat it there.
      if (analytics) writeDataPoints(analytics, state, segment);
      tally.flushed(segment.seq);
    }
  }
  persist();
  return true;
}

/**
 * One Analytics Engine data point per key and minute: index the key id (sampling keeps a key's
 * points together), blobs key and partner, doubles the minute's start (ms) and its four counts.
 * Query with the SQL API, e.g. `SELECT blob2 AS partner, SUM(double2) AS admitted FROM keyward_usage
 * WHERE double1 >= … GROUP BY partner`.
 */
function writeDataPoints(analytics: AnalyticsEngineDataset, state: FlushState, segment: UsageSegment) {
  for (const [start, counts] of segment.minutes) {
    analytics.writeDataPoint({
      indexes: [state.keyId],
      blobs: [state.keyId, state.partnerId ?? ""],
      doubles: [start, ...OUTCOMES.map((o) => counts[o])],
    });
  }
}
