import { afterEach } from "vitest";
import { useClock, type Clock } from "../src/lib/clock";

export interface ManualClock extends Clock {
  advance(ms: number): void;
}

/**
 * Installs a clock that moves only when told (or when code under test sleeps on it), starting at
 * the next whole second, for the rest of the current test. Durable Objects run in the test's
 * isolate, so the key's guard reads the same clock as the Worker.
 */
export function manualClock(start = Math.ceil(Date.now() / 1000) * 1000): ManualClock {
  let t = start;
  const clock: ManualClock = {
    now: () => t,
    sleep: async (ms) => {
      t += Math.max(0, ms);
    },
    advance: (ms) => {
      t += ms;
    },
  };
  useClock(clock);
  return clock;
}

afterEach(() => useClock(null));
