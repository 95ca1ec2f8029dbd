import type { LimitState, RateLimitState } from "./policy";
import { SlidingWindow } from "./sliding-window";
import type { Limit } from "./tiers";

/**
 * A tier's limits decided together (DESIGN §10): a request is admitted only if every limit admits
 * it, and then it is counted in all of them; refused by any, it is counted in none. Pure: no I/O,
 * no clock; the key's guard runs it without awaiting, so each decision is atomic.
 */
export interface MultiAdmission {
  admitted: boolean;
  state: RateLimitState;
  /** Admitted: the bucket it was counted in, per window (by position), for the guard to persist. */
  buckets?: number[];
  /** Refused: the limits that refused it (each alone would have). */
  refusing: Limit[];
  /** Refused: when (ms) every limit admits it again (Infinity: its cost exceeds a limit). */
  admitsAt?: number;
}

export class MultiWindow {
  /** @param windows one per limit, same order; their counts are mutated in place (see SlidingWindow). */
  constructor(
    readonly limits: readonly Limit[],
    readonly windows: readonly SlidingWindow[],
  ) {}

  /** Empty windows for `limits`. */
  static fresh(limits: readonly Limit[]): MultiWindow {
    return new MultiWindow(limits, limits.map((l) => new SlidingWindow(l.limit, l.window_seconds * 1000)));
  }

  /** Per window, the bucket indexes that no longer count at `now` (the caller deletes their stored copies). */
  expired(now: number): number[][] {
    return this.windows.map((w) => w.expired(now));
  }

  /** The limits that would refuse `cost` more requests at `now`. */
  refusing(now: number, cost: number): Limit[] {
    return this.limits.filter((limit, i) => this.windows[i]!.used(now) + cost > limit.limit);
  }

  /** Admits `cost` requests at `now` in every window if every window has room for them, else in none. */
  tryAdmit(now: number, cost = 1): MultiAdmission {
    const refusing = this.refusing(now, cost);
    if (refusing.length > 0) {
      const admitsAt = this.admitsAt(now, cost);
      return { admitted: false, refusing, admitsAt, state: this.state(now, retryAfterSeconds(admitsAt, now, this.limits)) };
    }
    const buckets = this.windows.map((w) => w.tryAdmit(now, cost).bucket!);
    return { admitted: true, refusing, buckets, state: this.state(now) };
  }

  /**
   * When (ms) `cost` requests fit every limit: the latest of the windows' own times. Counts only
   * fall while nothing is admitted, so a limit that admits at some time admits from then on, and
   * at the latest of those times all of them do.
   */
  admitsAt(now: number, cost = 1): number {
    return Math.max(...this.windows.map((w) => w.admitsAt(now, cost)));
  }

  /**
   * The earliest bucket boundary of any window after `now`. A request counted now stays counted
   * in each window for a full window from that window's bucket end, so it may be served at any
   * time up to the earliest of them without any rolling window holding more than its limit
   * (a lease's tokens expire by then: ./guard-leases.ts).
   */
  bucketEnd(now: number): number {
    return Math.min(...this.windows.map((w) => (Math.floor(now / w.bucketMs) + 1) * w.bucketMs));
  }

  /** Every limit's state at `now`. */
  state(now: number, retryAfter?: number): RateLimitState {
    const limits = this.limits.map(
      (limit, i): LimitState => ({
        name: limit.name,
        limit: limit.limit,
        remaining: Math.max(0, limit.limit - this.windows[i]!.used(now)),
        reset: this.windows[i]!.resetSeconds(now),
        window_seconds: limit.window_seconds,
      }),
    );
    return rateLimitStateOf(limits, retryAfter);
  }
}

/**
 * The most restrictive of a tier's limits, the one the legacy RateLimit-* fields and verify's
 * `ratelimit` show: the fewest requests remaining (what a client can still send now); among
 * those, the longest reset (the one that keeps it waiting longest); then the first configured.
 */
export function mostRestrictive(limits: readonly LimitState[]): LimitState {
  return limits.reduce((best, l) => (l.remaining < best.remaining || (l.remaining === best.remaining && l.reset > best.reset) ? l : best));
}

/** A RateLimitState of `limits`, headed by the most restrictive. */
export function rateLimitStateOf(limits: LimitState[], retryAfter?: number): RateLimitState {
  const { limit, remaining, reset } = mostRestrictive(limits);
  return { limit, remaining, reset, limits, ...(retryAfter === undefined ? {} : { retryAfter }) };
}

/**
 * Retry-After for a refusal: whole seconds until `admitsAt`, at least 1. A cost no window can ever
 * hold (only verify asks for one) gets the longest window: a finite answer, never a promise.
 */
export function retryAfterSeconds(admitsAt: number, now: number, limits: readonly Limit[]): number {
  if (!Number.isFinite(admitsAt)) return Math.max(...limits.map((l) => l.window_seconds));
  return Math.max(1, Math.ceil((admitsAt - now) / 1000));
}
