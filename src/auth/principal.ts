import type { ApiKeyRecord, KeyAuthRecord } from "../db/keys";
import type { User } from "../db/users";

/** What a check learned about the key it identified, as the key stands after this request. */
export interface CheckedKey {
  auth: KeyAuthRecord;
  /** The key's effective scopes, computed once per request: its own, as far as its user's permissions allow. */
  keyScopes: string[];
  /**
   * The balance after this request from the key's guard (D1 lags by up to a minute); null when
   * unlimited or when the isolate answered without asking the guard.
   */
  credits: number | null;
}

/** A caller authenticated by a key or an access token. */
export type KeyPrincipal = CheckedKey & {
  kind: "key";
  actor: string;
  /** What this credential may use: the key's scopes, or an access token's share of them. */
  scopes: string[];
};

export type Principal = { kind: "operator"; actor: "operator" } | KeyPrincipal;

export const operatorPrincipal: Principal = { kind: "operator", actor: "operator" };

/** A key caller, from an admitted check: everything the hot path already computed rides along. */
export function keyPrincipal({ auth, keyScopes, scopes, credits }: CheckedKey & { scopes: string[] }): KeyPrincipal {
  return { kind: "key", actor: auth.key.id, auth, keyScopes, scopes, credits };
}

/** A key as its serializer shows it: `serializeKey(live.key, live)`. */
export interface LiveKey {
  key: ApiKeyRecord;
  user: User | null;
  scopes: string[];
}

/**
 * The checked key with its live balance over the record's (which lags by up to a flush) and the
 * scopes the check computed, so neither is recomputed on the way out.
 */
export function liveKey({ auth, keyScopes, credits }: CheckedKey): LiveKey {
  return { key: { ...auth.key, credits_remaining: credits ?? auth.key.credits_remaining }, user: auth.user, scopes: keyScopes };
}
