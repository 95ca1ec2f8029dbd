import { now as clockNow } from "./clock";

// Expiry, grace periods and timestamps read the one clock (src/lib/clock.ts), so tests can move time instead of waiting for it.
export const nowIso = (now = clockNow()) => new Date(now).toISOString();
export const isPast = (iso: string | null, now = clockNow()) => iso !== null && Date.parse(iso) <= now;
