import { keySql } from "../db/keys";
import { noticeStatement } from "../db/outbox";
import { segmentStatements, usageSql } from "../db/usage";
import { MEASURES } from "./buckets";
import type { UsageSegment, UsageTally } from "./tally";

export interface FlushState {
  keyId: string;
  /** Absent in policies stored before usage counting: the statements look it up. */
  partnerId: string | undefined;
  /** ms of the last admitted request, if any. */
  usedAt: number | undefined;
  credits: number | null;
  /** ms of the balance's last refill (src/limiter/refill.ts), written with it; null or absent: never. */
  refilledAt?: number | null;
}

/**
 * A key's usage flush: last use, the credit balance (and when it was last refilled), the usage counts and the guard's notices in
 * one D1 batch. The segment keeps its sequence number until D1 is known to hold it, so a retry
 * never counts twice nor writes a notice twice; `persist` records the tally before the write (the
 * segment now in flight) and after it. Returns null when there was nothing to write, else the ids
 * of the notices D1 now holds from this segment, for the caller to dispatch (a retry whose first
 * try committed returns them again: dispatching is idempotent).
 */
export async function flushUsage(
  db: D1Database,
  state: FlushState,
  tally: UsageTally,
  persist: () => void,
  analytics?: AnalyticsEngineDataset,
): Promise<string[] | null> {
  const statements: D1PreparedStatement[] = [];
  if (state.usedAt !== undefined) {
    const refilledAt = state.refilledAt == null ? null : new Date(state.refilledAt).toISOString();
    statements.push(db.prepare(keySql.flushUsage).bind(state.keyId, new Date(state.usedAt).toISOString(), state.credits !== null ? 1 : 0, state.credits, refilledAt));
  }
  const first = statements.length;
  const segment = tally.takeForFlush();
  if (segment) {
    persist();
    statements.push(...segmentStatements(db, state.keyId, state.partnerId ?? null, segment));
    if (segment.notices?.length) statements.push(...(await noticeStatements(db, state, segment)));
  }
  if (statements.length === 0) return null;
  const results = await db.batch(statements);
  let notices: string[] = [];
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
      notices = segment.notices?.map((n) => n.id) ?? [];
      tally.flushed(segment.seq);
    }
  }
  persist();
  return notices;
}

/**
 * The segment's notices, each chained on `changes()` after the segment's statements: those end
 * with the sequence claim or a bucket upsert that follows it, which change a row only when the
 * claim did, so a segment D1 already holds adds no notice either.
 */
async function noticeStatements(db: D1Database, state: FlushState, segment: UsageSegment): Promise<D1PreparedStatement[]> {
  const partnerId = state.partnerId ?? (await db.prepare(usageSql.partnerOf).bind(state.keyId).first<{ partner_id: string }>())?.partner_id;
  // A key gone from D1 has nobody to notify.
  if (partnerId === undefined) return [];
  return (segment.notices ?? []).map(
    (n) =>
      noticeStatement(
        db,
        { id: n.id, type: n.type, partnerId, subjectId: state.keyId, at: new Date(n.at).toISOString(), payload: { data: n.data } },
        { ifChanged: true },
      ).statement,
  );
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
      doubles: [start, ...MEASURES.map((m) => counts[m])],
    });
  }
}
