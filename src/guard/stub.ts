import type { Bindings } from "../env";
import type { KeyGuard } from "./key-guard";

/** The Durable Object that guards `keyId`: one per key, addressed by its id. */
export const guardOf = (env: Bindings, keyId: string): DurableObjectStub<KeyGuard> =>
  env.KEY_GUARD.get(env.KEY_GUARD.idFromName(keyId));
