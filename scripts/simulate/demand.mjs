// Demand per second, as src/limiter/leases.ts counts it: the larger of the previous and the current
// second, and nothing below LEASE_MIN_DEMAND, so a quiet key is never leased (its budget is never
// burnt by tokens nobody spends) and stays exact per request.
import { LEASE_MIN_DEMAND } from "./params.mjs";

/** A fresh counter for `countDemand`. */
export const newDemand = () => ({ second: 0, current: 0, previous: 0 });

/** Counts `n` requests at `t` into `d`; returns the expected demand (req/s) or 0 below the minimum. */
export function countDemand(d, t, n = 1) {
  const second = Math.floor(t / 1000);
  if (d.second !== second) {
    d.previous = d.second === second - 1 ? d.current : 0;
    d.current = 0;
    d.second = second;
  }
  d.current += n;
  const expected = Math.max(d.previous, d.current);
  return expected >= LEASE_MIN_DEMAND ? expected : 0;
}
