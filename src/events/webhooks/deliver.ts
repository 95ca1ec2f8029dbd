import type { Bindings } from "../../env";

/** Makes one delivery attempt. True when done (or nothing to do). */
export async function deliver(_env: Bindings, _deliveryId: string): Promise<boolean> {
  return true;
}
