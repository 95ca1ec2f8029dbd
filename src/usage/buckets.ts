/**
 * Usage buckets (DESIGN §7): pure rules, no I/O. A key's Durable Object counts every decision in
 * minute buckets; the flush stores each minute also rolled up into its hour and its day, so a
 * read of any granularity is one indexed range of rows.
 */
export const GRANULARITIES = ["minute", "hour", "day"] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export const OUTCOMES = ["admitted", "rate_limited", "credits_exhausted", "refused"] as const;
export type UsageOutcome = (typeof OUTCOMES)[number];
/**
 * Everything a bucket counts: the requests by outcome, and `credits_refilled`, the credits refills
 * added to the balance in the bucket (DESIGN §10), so a balance's history can be read from the
 * usage data (what was spent is `admitted` × cost; what came back is this).
 */
export const MEASURES = [...OUTCOMES, "credits_refilled"] as const;
export type Measure = (typeof MEASURES)[number];
export type Counts = Record<Measure, number>;

const MINUTE_MS = 60_000;
export const BUCKET_MS: Record<Granularity, number> = { minute: MINUTE_MS, hour: 60 * MINUTE_MS, day: 1_440 * MINUTE_MS };
/** Buckets one read may ask for (DESIGN §7): a day of minutes, 90 days of hours, two years of days. */
export const MAX_BUCKETS: Record<Granularity, number> = { minute: 1_440, hour: 2_160, day: 730 };
/** How long stored rows are kept: every range a read may ask for stays answerable within its retention. */
export const RETENTION_MS: Record<Granularity, number> = {
  minute: 2 * BUCKET_MS.day,
  hour: 90 * BUCKET_MS.day,
  day: 730 * BUCKET_MS.day,
};

export const zeroCounts = (): Counts => ({ admitted: 0, rate_limited: 0, credits_exhausted: 0, refused: 0, credits_refilled: 0 });

export const isZero = (c: Counts) => MEASURES.every((m) => !c[m]);

/** Adds `more` into `target`; a measure `more` lacks (counts from an isolate of an older version) adds nothing. */
export function addInto(target: Counts, more: Partial<Counts>): Counts {
  for (const m of MEASURES) target[m] += more[m] ?? 0;
  return target;
}

/** The start (ms, UTC) of the bucket holding `ms`; days start at 00:00 UTC. */
export const bucketStart = (ms: number, granularity: Granularity) => Math.floor(ms / BUCKET_MS[granularity]) * BUCKET_MS[granularity];

/** Minute counts (start ms → counts) summed into buckets of `granularity`. */
export function rollUp(minutes: Iterable<[number, Counts]>, granularity: Granularity): Map<number, Counts> {
  const out = new Map<number, Counts>();
  for (const [start, counts] of minutes) {
    const at = bucketStart(start, granularity);
    addInto(out.get(at) ?? out.set(at, zeroCounts()).get(at)!, counts);
  }
  return out;
}

export interface UsageRange {
  granularity: Granularity;
  /** First bucket's start, ms. */
  from: number;
  /** End of the range (exclusive), ms: the buckets are those starting in [from, to). */
  to: number;
}

/**
 * The buckets a read covers: those overlapping [from, to). Default: the last 24 h by hour, which is
 * the current (open) hour and the 23 before it. Returns an error message for a range the API refuses.
 */
export function resolveRange(
  query: { granularity?: Granularity; from?: number; to?: number },
  now: number,
): UsageRange | { error: string; path: "from" | "to" } {
  const granularity = query.granularity ?? "hour";
  const size = BUCKET_MS[granularity];
  const to = query.to ?? bucketStart(now, granularity) + size;
  const asked = query.from ?? to - 24 * BUCKET_MS.hour;
  if (asked >= to) return { error: "`from` must be before `to`.", path: "from" };
  const from = bucketStart(asked, granularity);
  const buckets = Math.ceil((to - from) / size);
  if (buckets > MAX_BUCKETS[granularity]) {
    return { error: `At most ${MAX_BUCKETS[granularity]} ${granularity} buckets per request; this range has ${buckets}.`, path: "to" };
  }
  return { granularity, from, to };
}

/** Every bucket of the range, oldest first, zeros included, from stored and live counts by start. */
export function series(range: UsageRange, ...sources: Map<number, Counts>[]): ({ start: string } & Counts)[] {
  const out: ({ start: string } & Counts)[] = [];
  for (let start = range.from; start < range.to; start += BUCKET_MS[range.granularity]) {
    const counts = zeroCounts();
    for (const source of sources) {
      const found = source.get(start);
      if (found) addInto(counts, found);
    }
    out.push({ start: new Date(start).toISOString(), ...counts });
  }
  return out;
}

/** Which count a guard's decision goes to; null for decisions that are not a use of the key (revoked, expired, suspended). */
export function outcomeOf(decision: string): UsageOutcome | null {
  switch (decision) {
    case "ok":
      return "admitted";
    case "rate_limited":
    case "credits_exhausted":
      return decision;
    case "origin_not_allowed":
    case "ip_not_allowed":
    case "agent_not_allowed":
    case "insufficient_scope":
      return "refused";
    default:
      return null;
  }
}
