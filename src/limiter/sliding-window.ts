/**
 * A sliding-window limiter that never admits more than `limit` in any rolling window, also across
 * restarts (its state is a few integers to persist). Pure: no I/O, no clock.
 *
 * Requests are counted in buckets of 1/60 of the window. Admission at time t counts every bucket
 * from the one holding `t - window` to the current one: a span of at least one full window (and
 * at most one bucket more), so any window ending at t is covered and the limit holds exactly; the
 * cost is admitting up to 1/60 fewer than an ideal per-request log would at the window's trailing
 * edge. No fixed-window double bursts.
 */
const BUCKETS_PER_WINDOW = 60;

export interface Admission {
  admitted: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the oldest counted request leaves the window (then at least one more fits). */
  resetSeconds: number;
}

export class SlidingWindow {
  readonly bucketMs: number;

  /**
   * @param counts bucket index → requests admitted in it; mutated in place, so the caller can
   *   persist exactly the entries `tryAdmit` reports as changed.
   */
  constructor(
    readonly limit: number,
    readonly windowMs: number,
    readonly counts: Map<number, number> = new Map(),
  ) {
    this.bucketMs = Math.max(1, Math.ceil(windowMs / BUCKETS_PER_WINDOW));
  }

  private span(now: number) {
    return { current: Math.floor(now / this.bucketMs), oldest: Math.floor((now - this.windowMs) / this.bucketMs) };
  }

  /** Bucket indexes that no longer count at `now`; the caller deletes them (and their persisted copies). */
  expired(now: number): number[] {
    const { oldest } = this.span(now);
    return [...this.counts.keys()].filter((index) => index < oldest);
  }

  used(now: number): number {
    const { oldest } = this.span(now);
    let used = 0;
    for (const [index, n] of this.counts) if (index >= oldest) used += n;
    return used;
  }

  /** When the oldest counted request leaves the window (ms), or null when nothing is counted. */
  freesAt(now: number): number | null {
    const { oldest } = this.span(now);
    let first = Infinity;
    for (const [index, n] of this.counts) if (index >= oldest && n > 0 && index < first) first = index;
    if (first === Infinity) return null;
    // Bucket `first` stops counting once floor((t - window) / bucket) passes it.
    return (first + 1) * this.bucketMs + this.windowMs;
  }

  /**
   * When (ms) `cost` more requests fit, if no other is admitted meanwhile: `now` if they fit now,
   * Infinity if they never can (`cost` over the limit). Counts only fall as time passes, so from
   * then on they keep fitting.
   */
  admitsAt(now: number, cost = 1): number {
    const { oldest } = this.span(now);
    let excess = this.used(now) + cost - this.limit;
    if (excess <= 0) return now;
    if (cost > this.limit) return Infinity;
    const counted = [...this.counts].filter(([index, n]) => index >= oldest && n > 0).sort(([a], [b]) => a - b);
    for (const [index, n] of counted) {
      excess -= n;
      if (excess <= 0) return (index + 1) * this.bucketMs + this.windowMs;
    }
    return Infinity; // unreachable: the counted requests sum to more than `excess`
  }

  /**
   * Seconds until a request fits again, never more than the window (DESIGN §3b): a request in the
   * current bucket is counted for up to one bucket longer than the window, and saying so would
   * read 61 on a 60 s window.
   */
  resetSeconds(now: number): number {
    const freesAt = this.freesAt(now);
    if (freesAt === null) return 0;
    return Math.min(Math.ceil(this.windowMs / 1000), Math.max(1, Math.ceil((freesAt - now) / 1000)));
  }

  /** Admits `cost` requests at `now` if they fit; returns the bucket it wrote to when it did. */
  tryAdmit(now: number, cost = 1): Admission & { bucket?: number } {
    for (const index of this.expired(now)) this.counts.delete(index);
    const used = this.used(now);
    if (used + cost > this.limit) {
      return { admitted: false, limit: this.limit, remaining: Math.max(0, this.limit - used), resetSeconds: this.resetSeconds(now) };
    }
    const bucket = this.span(now).current;
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + cost);
    return { admitted: true, limit: this.limit, remaining: this.limit - used - cost, resetSeconds: this.resetSeconds(now), bucket };
  }
}
