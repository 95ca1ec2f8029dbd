import type { Bindings } from "../env";
import { bucketRows, writeUsageBatch, type UsageCommit, type UsageEntry } from "../db/usage-batch";
import { MEASURES } from "./buckets";
import type { UsageSegment, UsageTally } from "./tally";

/** How often a key's usage (last_used_at, credits, counts) is written back to D1, at most (USAGE_FLUSH_SECONDS shortens it for benchmarks only). */
const FLUSH_INTERVAL_MS = 60_000;
/** A key's first use is flushed after this long, so a burst at first use still costs one write. */
export const FIRST_FLUSH_DELAY_MS = 5_000;

/** The flush interval: USAGE_FLUSH_SECONDS when set to a positive number (benchmarks), else a minute. */
export function flushIntervalMs(env: Pick<Bindings, "USAGE_FLUSH_SECONDS">): number {
  const seconds = Number(env.USAGE_FLUSH_SECONDS);
  return env.USAGE_FLUSH_SECONDS !== undefined && seconds > 0 ? seconds * 1000 : FLUSH_INTERVAL_MS;
}

/** When a guard whose last flush was at `flushedAt` (ms, 0: never) flushes usage counted at `now`: at most once an interval. */
export function nextFlushAt(env: Pick<Bindings, "USAGE_FLUSH_SECONDS">, now: number, flushedAt: number): number {
  const interval = flushIntervalMs(env);
  return Math.max(now + Math.min(FIRST_FLUSH_DELAY_MS, interval), flushedAt + interval);
}

export interface FlushState {
  keyId: string;
  /** For Analytics Engine only (D1's rows take the partner from the key's own row); absent in policies stored before usage counting. */
  partnerId: string | undefined;
  /** ms of the last admitted request, if any. */
  usedAt: number | undefined;
  credits: number | null;
  /** ms of the balance's last refill (src/limiter/refill.ts), written with it; null or absent: never. */
  refilledAt?: number | null;
}

/** Writes one key's entry and says what D1 holds for the key afterwards: directly, or through a usage aggregator (./submit.ts). */
export type UsageWriter = (entry: UsageEntry) => Promise<UsageCommit>;

/**
 * A key's usage flush: last use, the credit balance (and when it was last refilled), the usage counts and the guard's notices,
 * committed together (src/db/usage-batch.ts), alone or with other keys' flushes. The segment keeps
 * its sequence number until D1 is known to hold it, so a retry never counts twice nor writes a
 * notice twice; `persist` records the tally before the write (the segment now in flight) and after
 * it. `to` is a UsageWriter, or a D1 database written directly. Returns null when there was nothing
 * to write, else the ids of the notices D1 now holds from this segment, for the caller to dispatch
 * (a retry whose first try committed returns them again: dispatching is idempotent).
 */
export async function flushUsage(
  to: D1Database | UsageWriter,
  state: FlushState,
  tally: UsageTally,
  persist: () => void,
  analytics?: AnalyticsEngineDataset,
): Promise<string[] | null> {
  const segment = tally.takeForFlush();
  if (state.usedAt === undefined && !segment) return null;
  if (segment) persist();
  const write: UsageWriter = typeof to === "function" ? to : async (entry) => (await writeUsageBatch(to, [entry]))[0]!;
  const sent = segment?.seq;
  const { seq: held } = await write(usageEntry(state, segment));
  let notices: string[] = [];
  if (segment && (!tally.holds(segment) || segment.seq !== sent)) {
    // An overlapping flush of the same segment (a hand-off during the alarm's) settled it first and reported its notices.
  } else if (segment) {
    if (held === null) {
      // The key is gone from D1: nothing of it was written, and nobody is left to count for.
      tally.flushed(segment.seq);
    } else if (held > segment.seq) {
      // D1 holds a later flush than ours (this object's storage was lost): continue after it.
      tally.skipTo(held);
    } else if (held === segment.seq) {
      // Analytics Engine has no idempotency: it takes the segment once D1 is known to hold it, so
      // only a crash between the two writes could repeat it there.
      if (analytics) writeDataPoints(analytics, state, segment);
      notices = segment.notices?.map((n) => n.id) ?? [];
      tally.flushed(segment.seq);
    } else {
      // The claim is in the same transaction as the read: an older sequence means the write went astray. Retry.
      throw new Error(`usage flush of ${state.keyId}: D1 holds seq ${held} after writing ${segment.seq}`);
    }
  }
  persist();
  return notices;
}

/** The notices of flushes run together, once every one settled; the first failure, if any, is thrown (each failed one retries on its own). */
export async function allFlushed(flushes: Promise<string[]>[]): Promise<string[]> {
  const settled = await Promise.allSettled(flushes);
  const failed = settled.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  return settled.flatMap((r) => (r.status === "fulfilled" ? r.value : []));
}

/** The multi-row write's entry for a key's flush state and segment (null: last use only). */
export function usageEntry(state: FlushState, segment: UsageSegment | null): UsageEntry {
  return {
    keyId: state.keyId,
    usedAt: state.usedAt === undefined ? null : new Date(state.usedAt).toISOString(),
    credits: state.credits,
    refilledAt: state.refilledAt == null ? null : new Date(state.refilledAt).toISOString(),
    seq: segment?.seq ?? null,
    buckets: bucketRows(segment?.minutes ?? []),
    notices: (segment?.notices ?? []).map((n) => ({ id: n.id, type: n.type, at: new Date(n.at).toISOString(), payload: JSON.stringify({ data: n.data }) })),
  };
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
