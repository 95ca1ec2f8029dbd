import { tierNamed } from "../config";
import { keyStatus, type KeyAuthRecord } from "../db/keys";
import type { Bindings } from "../env";
import type { KeyGuard } from "./key-guard";
import { poolName } from "./key-guard-names";
import { rateLimitStateOf } from "./multi-window";
import { holdLease, leaseDemand, leaseMsOf, refillInFlight, spendLeased, trackRefill } from "./leases";
import { knownLimited, rememberLimited } from "./limited-keys";
import { giveBack, takeTally, tallyLocal } from "../usage/isolate-tally";
import { isPooled, policyOf, userDeactivated, versionOf, type AdmissionVerdict, type CallerRefusal, type RecordVersion } from "./policy";

/** The Durable Object that guards `keyId`: one per key, addressed by its id. */
export const guardOf = (env: Bindings, keyId: string): DurableObjectStub<KeyGuard> =>
  env.KEY_GUARD.get(env.KEY_GUARD.idFromName(keyId));

/** The Durable Object that decides every key of a pooled partner (DESIGN §10, ./partner-pool.ts). */
export const poolOf = (env: Bindings, partnerId: string): DurableObjectStub<KeyGuard> =>
  env.KEY_GUARD.get(env.KEY_GUARD.idFromName(poolName(partnerId)));

/**
 * One admission by the key's guard. If the guard cannot be reached, the request fails closed
 * (503) unless GUARD_FAILURE_MODE is `open`: then only the rate limit is waived, and the record
 * itself still refuses revoked, expired and suspended keys and the keys of deactivated users.
 * Keys with credits always fail closed, since an uncounted request would be free.
 */
export async function askGuard(env: Bindings, record: KeyAuthRecord, cost: number, refusal: CallerRefusal | null): Promise<AdmissionVerdict> {
  const keyId = record.key.id;
  const version = versionOf(record);
  const pooled = isPooled(record.partner);
  // Only plain admissions may be answered here: the guard reports a refusal, or an empty balance
  // of credits, before a full window. A pooled key's every request meets its partner's (no leases).
  const plain = record.key.credits_remaining === null && refusal === null && !pooled;
  const leaseMs = plain ? leaseMsOf(env.GUARD_LEASE_MS) : 0;
  const wanted = leaseMs > 0 ? leaseDemand(keyId) : 0;
  if (plain) {
    let local = answerInIsolate(record, version, cost, leaseMs);
    // Wait for this isolate's lease refill in flight, if any, rather than calling the guard
    // alongside it. Checked synchronously: an await before it would let every concurrent
    // request pass the check before the first one registers its refill.
    for (let pending = leaseMs > 0 ? refillInFlight(keyId) : undefined; !local && pending; pending = refillInFlight(keyId)) {
      await pending;
      local = answerInIsolate(record, version, cost, leaseMs);
    }
    if (local) return local;
  }
  try {
    // Demand is per second; a shorter lease needs proportionally fewer tokens.
    const lease = wanted > 0 ? { ms: leaseMs, tokens: Math.ceil((wanted * leaseMs) / 1000) } : null;
    // Decisions this isolate made alone ride along (DESIGN §7), given back if the call fails.
    const reported = takeTally(keyId);
    const asked = pooled
      ? poolOf(env, record.partner.id).admitPooled(keyId, version, cost, refusal, reported)
      : guardOf(env, keyId).admit(keyId, version, cost, refusal, lease, reported);
    if (reported) asked.catch(() => giveBack(keyId, reported));
    if (lease) trackRefill(keyId, asked);
    const verdict = await asked;
    // Only a refusal of one unit says when any request fits again; a costly one says nothing of a cheaper one.
    if (verdict.outcome === "rate_limited" && plain && cost === 1) rememberLimited(keyId, version, verdict.ratelimit, verdict.retryAt);
    if (verdict.outcome === "ok" && verdict.lease) {
      return { ...verdict, ratelimit: holdLease(keyId, version, verdict.lease, verdict.ratelimit) };
    }
    return verdict;
  } catch (err) {
    if (env.GUARD_FAILURE_MODE !== "open" || record.key.credits_remaining !== null || record.partner.credits_remaining !== null) throw err;
    console.error(JSON.stringify({ level: "warn", msg: "guard unavailable, failing open", key_id: keyId }));
    const { limits } = tierNamed(env, policyOf(record).tier);
    const status = keyStatus(record.key);
    const outcome =
      status !== "active"
        ? status
        : record.partner.status !== "active"
          ? "partner_suspended"
          : userDeactivated(record)
            ? "user_deactivated"
            : (refusal ?? "ok");
    return { outcome, ratelimit: rateLimitStateOf(limits.map((l) => ({ ...l, remaining: l.limit, reset: 0 }))), credits: null };
  }
}

/**
 * What this isolate can decide without the guard, never admitting beyond it: a window it just saw
 * full (429), or a token of a lease the guard granted it. Null when the guard must be asked.
 */
function answerInIsolate(record: KeyAuthRecord, version: RecordVersion, cost: number, leaseMs: number): AdmissionVerdict | null {
  const keyId = record.key.id;
  // A key this record refuses is the guard's to report (a 401, never a 429 or a leased token).
  if (keyStatus(record.key) !== "active" || record.partner.status !== "active" || userDeactivated(record)) return null;
  // A request of cost 0 (a verify that only checks) fits even a full window.
  if (cost > 0) {
    const known = knownLimited(keyId, version);
    if (known) {
      tallyLocal(keyId, "rate_limited");
      return { outcome: "rate_limited", ratelimit: known, credits: null };
    }
  }
  const leased = leaseMs > 0 ? spendLeased(keyId, version, cost) : null;
  if (!leased) return null;
  if (cost > 0) tallyLocal(keyId, "admitted");
  return { outcome: "ok", ratelimit: leased, credits: null };
}
