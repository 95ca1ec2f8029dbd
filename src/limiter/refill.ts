/**
 * Credit refills (DESIGN §10): pure boundary math, no I/O, no clock. A balance with a refill is
 * topped up to `amount` at the first request after each UTC boundary (lazily: nothing runs at the
 * boundary itself), never lowered, and at most once per boundary: a refill is due exactly when the
 * latest boundary at or before now lies after the last refill.
 */

import type { CreditsRefill } from "../db/budgets";

export type { CreditsRefill } from "../db/budgets";

const DAY_MS = 86_400_000;

/**
 * A stored refill as the rules take it, or null: anything else (a damaged or hand-edited value)
 * reads as no refill rather than failing the key's requests.
 */
export function creditsRefillOf(value: unknown): CreditsRefill | null {
  if (value === null || typeof value !== "object") return null;
  const { amount, interval, day_of_month: day } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(amount) || (amount as number) <= 0) return null;
  if (interval === "day") return day === undefined ? { amount: amount as number, interval } : null;
  if (interval !== "month") return null;
  if (day === undefined) return { amount: amount as number, interval };
  if (!Number.isInteger(day) || (day as number) < 1 || (day as number) > 31) return null;
  return { amount: amount as number, interval, day_of_month: day as number };
}

/** Days in a UTC month (`month` 0..11, may overflow: Date.UTC normalizes it). */
const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month + 1, 0)).getUTCDate();

/** The boundary of `refill` in the month of (year, month): `day_of_month` clamped to its last day. */
function monthBoundary(refill: CreditsRefill, year: number, month: number): number {
  const first = new Date(Date.UTC(year, month, 1));
  const y = first.getUTCFullYear();
  const m = first.getUTCMonth();
  return Date.UTC(y, m, Math.min(refill.day_of_month ?? 1, daysIn(y, m)));
}

/** The latest boundary at or before `now` (ms). */
export function lastBoundary(refill: CreditsRefill, now: number): number {
  if (refill.interval === "day") return Math.floor(now / DAY_MS) * DAY_MS;
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  const here = monthBoundary(refill, year, month);
  return here <= now ? here : monthBoundary(refill, year, month - 1);
}

/** The first boundary strictly after `now` (ms). */
export function nextBoundary(refill: CreditsRefill, now: number): number {
  if (refill.interval === "day") return (Math.floor(now / DAY_MS) + 1) * DAY_MS;
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  const here = monthBoundary(refill, year, month);
  return here > now ? here : monthBoundary(refill, year, month + 1);
}

/** Whether a boundary passed since `refilledAt` (ms; null: never refilled, so one is due). */
export function refillDue(refill: CreditsRefill, refilledAt: number | null, now: number): boolean {
  return refilledAt === null || lastBoundary(refill, now) > refilledAt;
}

/**
 * The balance after the refill due at `now`, if one is: topped up to `amount` (a higher balance is
 * kept) and stamped `now`. Null when nothing is due, or the balance is unlimited (null): there is
 * nothing to top up, and its schedule is left alone.
 */
export function applyRefill(
  refill: CreditsRefill | null,
  balance: number | null,
  refilledAt: number | null,
  now: number,
): { balance: number; refilledAt: number } | null {
  if (!refill || balance === null || !refillDue(refill, refilledAt, now)) return null;
  return { balance: Math.max(balance, refill.amount), refilledAt: now };
}
