import { loadKeyAuthRecord } from "../../src/db/keys";
import { guardOf, poolOf } from "../../src/limiter/client";
import { isPooled, versionOf, type AdmissionVerdict, type RecordVersion } from "../../src/limiter/policy";
import { call, env, verify } from "../helpers";

/**
 * How long a scenario may take before it counts as hung: far beyond what it needs even on a loaded
 * machine (well under a second), far below the runtime's reset of a blocked object. It bounds a
 * deadlock; it measures nothing.
 */
const HUNG_MS = 10_000;

/** `work`, or a failed assertion naming `what` if it has not settled within HUNG_MS. */
export async function settles<T>(what: string, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not answered within ${HUNG_MS} ms (the objects wait on each other)`)), HUNG_MS);
  });
  try {
    return await Promise.race([work, hung]);
  } finally {
    clearTimeout(timer);
  }
}

export const patchPartner = (id: string, body: Record<string, unknown>) => call(`/v1/partners/${id}`, { method: "PATCH", body });

/** The key's live balance, spending nothing (a verify of cost 0). */
export const balanceOf = async (key: string) => (await verify({ key, cost: 0 })).body.api_key.credits_remaining as number;

/** The key's record as D1 holds it now. */
export const record = async (keyId: string) => (await loadKeyAuthRecord(env.DB, keyId))!;

/** One admission by the object a record at `version` sends the key to, as askGuard asks it. */
function ask(keyId: string, partnerId: string, version: RecordVersion, pooled: boolean): Promise<AdmissionVerdict> {
  return pooled ? poolOf(env, partnerId).admitPooled(keyId, version, 1) : guardOf(env, keyId).admit(keyId, version, 1);
}

/**
 * A caller's whole admission for a record at `version`: on `stale` it reloads the record from D1
 * and asks the object that now decides, as verify-key does (each reload is newer: it ends).
 * `first` is the first answer, before any reload.
 */
export async function admitted(keyId: string, partnerId: string, version: RecordVersion, pooled: boolean): Promise<AdmissionVerdict & { first: string }> {
  let verdict = await ask(keyId, partnerId, version, pooled);
  const first = verdict.outcome;
  for (let tries = 0; verdict.outcome === "stale" && tries < 20; tries++) {
    const fresh = await record(keyId);
    verdict = await ask(keyId, partnerId, versionOf(fresh), isPooled(fresh.partner));
  }
  return { ...verdict, first };
}
