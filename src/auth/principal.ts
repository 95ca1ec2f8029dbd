import type { KeyAuthRecord } from "../db/keys";

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

/** A key caller; `scopes` are what this credential may use (a key's effective scopes, or an access token's). */
export function keyPrincipal(auth: KeyAuthRecord, live: { scopes: string[]; credits: number | null }): Principal {
  return { kind: "key", actor: auth.key.id, auth, scopes: live.scopes, credits: live.credits };
}
