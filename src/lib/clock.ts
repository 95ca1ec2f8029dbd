/**
 * The clock behind every rule decided by time at sub-second scale: the limiter's windows, leases,
 * remembered full windows and the revocation barrier. Production reads the wall clock; tests
 * install a manual one so those rules are decided without racing it (a warm-up that needed four
 * requests inside one wall-clock second failed whenever a second boundary fell inside it).
 */
export interface Clock {
  now(): number;
  /** Resolves once `ms` have passed on this clock. */
  sleep(ms: number): Promise<void>;
}

const wall: Clock = { now: () => Date.now(), sleep: (ms) => scheduler.wait(ms) };
let current: Clock = wall;

export const now = (): number => current.now();
export const sleep = (ms: number): Promise<void> => current.sleep(ms);

/** Replaces the clock for this isolate (tests only); `null` restores the wall clock. */
export function useClock(clock: Clock | null): void {
  current = clock ?? wall;
}
