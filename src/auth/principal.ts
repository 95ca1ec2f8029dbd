import type { KeyAuthRecord } from "../db/keys";
import { effectiveScopes } from "./scopes";

export type Principal =
  | { kind: "operator"; actor: "operator" }
  | { kind: "key"; actor: string; auth: KeyAuthRecord; scopes: string[] };

export const operatorPrincipal: Principal = { kind: "operator", actor: "operator" };

export function keyPrincipal(auth: KeyAuthRecord): Principal {
  return {
    kind: "key",
    actor: auth.key.id,
    auth,
    scopes: effectiveScopes(auth.key.scopes, auth.user ? auth.user.permissions : null),
  };
}
