import { zeroCounts, type Counts, type UsageOutcome } from "./buckets";

/**
 * Decisions this isolate made without the key's guard (a remembered full window's 429s, leased
 * admissions), per key, until they reach the guard: with this isolate's next call to it for the
 * key, or in a report sent after a later response of this isolate (src/middleware/usage-reports.ts).
 */
const tallies = new Map<string, Counts>();
/** At most one report per isolate in this interval, so a flood of local 429s costs a guard call per key per second at most. */
export const REPORT_INTERVAL_MS = 1_000;
let lastReport = -Infinity;
let reporting = false;

export function tallyLocal(keyId: string, outcome: UsageOutcome): void {
  let counts = tallies.get(keyId);
  if (!counts) tallies.set(keyId, (counts = zeroCounts()));
  counts[outcome] += 1;
}

/** The key's counts not yet sent, removed: the caller sends them (and gives them back if it cannot). */
export function takeTally(keyId: string): Counts | null {
  const counts = tallies.get(keyId);
  if (counts) tallies.delete(keyId);
  return counts ?? null;
}

export function giveBack(keyId: string, counts: Counts): void {
  const current = tallies.get(keyId);
  if (!current) tallies.set(keyId, counts);
  else for (const o of Object.keys(counts) as UsageOutcome[]) current[o] += counts[o];
}

/** Claims this isolate's report: true when counts wait, none is in flight and the last one is REPORT_INTERVAL_MS old. */
export function claimReport(now: number): boolean {
  if (reporting || tallies.size === 0 || now - lastReport < REPORT_INTERVAL_MS) return false;
  reporting = true;
  lastReport = now;
  return true;
}

/** Every key's counts, removed, for the claimed report. */
export function drainTallies(): [string, Counts][] {
  const all = [...tallies];
  tallies.clear();
  return all;
}

export function reportDone(): void {
  reporting = false;
}
