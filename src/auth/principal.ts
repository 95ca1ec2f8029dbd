import type { KeyAuthRecord } from "../db/keys";
import { effectiveScopes } from "./scopes";

export type Principal =
  | { kind: "operator"; actor: "operator" }
  | {
      kind: "key";
      actor: string;
      auth: KeyAuthRecord;
      scopes: string[];
      /** The live balance after this request, from the key's guard (D1 lags by up to a minute). */
      credits: number | null;
    };

export const operatorPrincipal: Principal = { kind: "operator", actor: "operator" };

export function keyPrincipal(auth: KeyAuthRecord, live: { credits: number | null }): Principal {
  return {
    kind: "key",
    actor: auth.key.id,
    auth,
    scopes: effectiveScopes(auth.key.scopes, auth.user ? auth.user.permissions : null),
    credits: live.credits,
  };
}
