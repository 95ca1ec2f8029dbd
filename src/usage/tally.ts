import type { NoticeType } from "../db/event-types";
import { addInto, bucketStart, isZero, MEASURES, zeroCounts, type Counts, type Measure } from "./buckets";

/**
 * A notice the key's guard decided (credits.low, rate_limit.exceeded) and owes D1. Its id is
 * chosen when it is decided, so a flush retried after a lost answer can still dispatch it.
 */
export interface PendingNotice {
  id: string;
  type: Extract<NoticeType, "credits.low" | "rate_limit.exceeded">;
  /** ms when it was decided. */
  at: number;
  /** Its webhook body's `data` fields (EventPayload.data); plain values, so a segment still crosses RPC. */
  data: Record<string, string | number>;
}

/** Minute counts (and notices) not yet in D1, under the flush sequence number they will be (or are being) written with. */
export interface UsageSegment {
  seq: number;
  minutes: [start: number, counts: Counts][];
  /** Written in the same batch, chained to the sequence claim: exactly once, like the counts. */
  notices?: PendingNotice[];
}

/** As stored in the object's storage: compact rows [start, admitted, rate_limited, credits_exhausted, refused, credits_refilled] (rows stored before refills lack the last). */
export interface StoredTally {
  seq: number;
  pending: number[][];
  inFlight: { seq: number; rows: number[][]; notices?: PendingNotice[] } | null;
  /** Absent in tallies stored before notices. */
  notices?: PendingNotice[];
}

const toRows = (minutes: Iterable<[number, Counts]>) => [...minutes].map(([start, c]) => [start, ...MEASURES.map((m) => c[m])]);
const fromRows = (rows: number[][]): [number, Counts][] =>
  rows.map(([start, ...n]) => [start!, Object.fromEntries(MEASURES.map((m, i) => [m, n[i] ?? 0])) as Counts]);

/**
 * A key's usage between flushes, inside its Durable Object. Counting is in memory; the object
 * persists `toStorage()` with its write-behind counters and at each flush, so it adds no storage
 * call of its own. Each flush carries a sequence number that D1 records with the rows
 * (`api_keys.usage_seq`): a flush retried after an answer was lost is not counted twice, and a
 * reader adds only the live segments D1 has not seen yet.
 */
export class UsageTally {
  private pending = new Map<number, Counts>();
  private inFlight: UsageSegment | null = null;
  private notices: PendingNotice[] = [];
  /** The last sequence number handed to a flush. */
  private seq = 0;

  static from(stored: StoredTally | undefined): UsageTally {
    const tally = new UsageTally();
    if (!stored) return tally;
    tally.seq = stored.seq;
    tally.pending = new Map(fromRows(stored.pending));
    const inFlight = stored.inFlight;
    tally.inFlight = inFlight && { seq: inFlight.seq, minutes: fromRows(inFlight.rows), ...(inFlight.notices && { notices: inFlight.notices }) };
    tally.notices = stored.notices ?? [];
    return tally;
  }

  toStorage(): StoredTally {
    return {
      seq: this.seq,
      pending: toRows(this.pending),
      inFlight: this.inFlight && { seq: this.inFlight.seq, rows: toRows(this.inFlight.minutes), ...(this.inFlight.notices && { notices: this.inFlight.notices }) },
      ...(this.notices.length > 0 && { notices: this.notices }),
    };
  }

  count(now: number, measure: Measure, n = 1): void {
    if (n <= 0) return;
    this.minute(now)[measure] += n;
  }

  /** Counts decided elsewhere (an isolate's local 429s or leased admissions), credited to the minute they arrive in. */
  add(now: number, counts: Counts): void {
    if (!isZero(counts)) addInto(this.minute(now), counts);
  }

  private minute(now: number): Counts {
    const start = bucketStart(now, "minute");
    let counts = this.pending.get(start);
    if (!counts) this.pending.set(start, (counts = zeroCounts()));
    return counts;
  }

  /** Queues a notice for the next flush; it is persisted with the counts (`toStorage`). */
  notify(notice: PendingNotice): void {
    this.notices.push(notice);
  }

  get hasPending(): boolean {
    return this.inFlight !== null || this.pending.size > 0 || this.notices.length > 0;
  }

  /** What the next flush writes: the segment already in flight (a retry sends it again, same seq), else everything pending. */
  takeForFlush(): UsageSegment | null {
    if (this.inFlight) return this.inFlight;
    if (this.pending.size === 0 && this.notices.length === 0) return null;
    this.inFlight = { seq: ++this.seq, minutes: [...this.pending], ...(this.notices.length > 0 && { notices: this.notices }) };
    this.pending = new Map();
    this.notices = [];
    return this.inFlight;
  }

  /** The last sequence number handed to a flush (a budget handed to another object continues after it). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Whether `segment` is still the one in flight: two flushes of one tally may overlap, and the first to settle it wins. */
  holds(segment: UsageSegment): boolean {
    return this.inFlight === segment;
  }

  /** D1 holds segment `seq` now. */
  flushed(seq: number): void {
    if (this.inFlight?.seq === seq) this.inFlight = null;
  }

  /** D1 already holds a later sequence than ours (this object's storage was lost): continue after it. */
  skipTo(committed: number): void {
    if (this.inFlight) this.inFlight.seq = committed + 1;
    this.seq = Math.max(this.seq, committed + 1);
  }

  /** Every count not yet known to be in D1, with the sequence it is or will be written under. */
  live(): UsageSegment[] {
    const segments: UsageSegment[] = [];
    if (this.inFlight) segments.push(this.inFlight);
    if (this.pending.size > 0) segments.push({ seq: this.seq + 1, minutes: [...this.pending] });
    return segments;
  }
}
