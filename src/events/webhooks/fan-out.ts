import type { Bindings } from "../../env";

/** Fans an event out to its subscribed endpoints. True when done (or nothing to do). */
export async function fanOut(_env: Bindings, _eventId: string): Promise<boolean> {
  return true;
}
