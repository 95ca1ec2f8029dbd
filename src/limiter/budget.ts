import { rateLimitStateOf, retryAfterSeconds, type MultiAdmission, type MultiWindow } from "./multi-window";
import type { CreditsSource, HandedBudget, RateLimitState } from "./policy";

/**
 * Budgets of a pooled key (DESIGN §10), pure: no I/O, no clock. A key of a partner whose budget is
 * pooled spends from its own balance and its partner's, and counts in its partner's windows and
 * its own; the partner's object decides all of them in one atomic step.
 */

/** A balance and whose it is, as verify reports it (`credits_remaining`, `credits_source`). */
export interface ReportedCredits {
  balance: number | null;
  source: CreditsSource;
}

/**
 * The live copy of a key's budget among those an object taking it over can see (the one handed
 * over, its own, D1's): budgets move one way at a time and only an admitted request changes them,
 * so the copy used last is the live one; on a tie the earlier candidate wins (pass the handed one
 * first, D1's last).
 */
export function latestBudget(candidates: readonly (HandedBudget | null)[]): HandedBudget | null {
  let best: HandedBudget | null = null;
  for (const c of candidates) if (c && (best === null || (c.usedAt ?? -Infinity) > (best.usedAt ?? -Infinity))) best = c;
  return best;
}

/**
 * Which balance to report for a request of `cost` against the key's and the partner's balances
 * (null = unlimited): the one that is short (the key's first), else the smaller (the key's on a
 * tie), else the only limited one, else none. `short` says whether that balance refuses the request.
 */
export function reportedCredits(key: number | null, partner: number | null, cost: number): ReportedCredits & { short: boolean } {
  if (key !== null && key < cost) return { balance: key, source: "key", short: true };
  if (partner !== null && partner < cost) return { balance: partner, source: "partner", short: true };
  if (partner !== null && (key === null || partner < key)) return { balance: partner, source: "partner", short: false };
  if (key !== null) return { balance: key, source: "key", short: false };
  return { balance: null, source: null, short: false };
}

/** An admission by `admitBoth`: the buckets counted in, per set of windows, when admitted. */
export interface BothAdmission {
  admitted: boolean;
  state: RateLimitState;
  refusing: MultiAdmission["refusing"];
  admitsAt?: number;
  shared?: number[];
  own?: number[];
}

/**
 * Two sets of windows decided as one (the partner's shared ones and the key's own): a request is
 * admitted only if both admit it, and then counted in both; refused by either, it is counted in
 * neither. `own` is null when the key has no windows of its own in the pool.
 */
export function admitBoth(shared: MultiWindow | null, own: MultiWindow | null, now: number, cost: number): BothAdmission {
  const sets = [shared, own].filter((w): w is MultiWindow => w !== null);
  const refusing = sets.flatMap((w) => w.refusing(now, cost));
  if (refusing.length > 0) {
    const admitsAt = Math.max(...sets.map((w) => w.admitsAt(now, cost)));
    const retryAfter = retryAfterSeconds(admitsAt, now, sets.flatMap((w) => w.limits));
    return { admitted: false, refusing, admitsAt, state: combinedState(shared, own, now, retryAfter) };
  }
  const sharedBuckets = shared?.tryAdmit(now, cost).buckets;
  const ownBuckets = own?.tryAdmit(now, cost).buckets;
  return { admitted: true, refusing, state: combinedState(shared, own, now), shared: sharedBuckets, own: ownBuckets };
}

/**
 * Every limit a pooled key counts under: the partner's shared limits by their names, then the
 * key's own, named `key:<name>` where a shared limit already has that name (the RateLimit fields
 * need distinct names).
 */
export function combinedState(shared: MultiWindow | null, own: MultiWindow | null, now: number, retryAfter?: number): RateLimitState {
  const sharedLimits = shared ? shared.state(now).limits : [];
  const taken = new Set(sharedLimits.map((l) => l.name));
  const ownLimits = own ? own.state(now).limits.map((l) => (taken.has(l.name) ? { ...l, name: `key:${l.name}` } : l)) : [];
  return rateLimitStateOf([...sharedLimits, ...ownLimits], retryAfter);
}
