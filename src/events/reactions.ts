import { forgetKeyRecord, publishKeyRecord } from "../cache/key-records";
import { syncOrigins } from "../cache/origin-registry";
import { liveKeyIdsOfUser, liveKeysOfPartner, type KeyAuthRecord } from "../db/keys";
import type { EventType, OutboxEvent } from "../db/outbox";
import { getPartner } from "../db/partners";
import type { Bindings } from "../env";
import { guardOf, poolOf } from "../limiter/client";
import type { OperatorCredits } from "../limiter/guard-credits";
import { isPooled, partnerInfoOf, policyOf } from "../limiter/policy";

/**
 * Work that must follow a committed event, so the change is in effect everywhere: caches, the CORS
 * origin registry, the keys' guards. Each reaction is idempotent and re-reads what it needs from
 * D1, because it may run again, much later, from the queue or the sweep, after newer changes.
 */
export type Reaction = (env: Bindings, event: OutboxEvent) => Promise<void>;

/** Steps that must each be tried even when another fails; `rethrow` reports the first failure once they settled. */
function attempts() {
  const failures: unknown[] = [];
  return {
    attempt: (step: Promise<unknown>) => step.catch((err: unknown) => void failures.push(err)),
    rethrow() {
      if (failures.length > 0) throw failures[0];
    },
  };
}

/**
 * A key changed: re-read it, rewrite KV and this isolate's copy, sync the origins it had and has,
 * and hand the new policy to the key's Durable Object so a revoke, rotation or expiry change bites
 * on the very next request everywhere. The guard needs no KV, so a KV failure must not keep it from
 * hearing the change: both steps run, and the first failure is reported afterwards.
 */
const propagateKey: Reaction = async (env, event) => {
  const record = await publishKeyRecord(env, event.subject_id);
  if (!record) throw new Error(`key ${event.subject_id} vanished after being written`);
  const { attempt, rethrow } = attempts();
  await Promise.all([
    attempt(syncOrigins(env, [...(event.payload.previous_origins ?? []), ...record.key.allowed_origins])),
    // A new key's guard has no state to correct; it loads from D1 on first use.
    event.type === "key.created" ? null : attempt(refreshGuard(env, event, record)),
  ]);
  rethrow();
};

/**
 * A balance or refill the operator set, as the object deciding it applies it: once per event (by
 * its seq), so a retried event that runs after requests spent credits, or after a newer balance,
 * changes nothing.
 */
function operatorCredits(event: OutboxEvent): OperatorCredits | undefined {
  const { credits: balance, credits_refilled_at: refilledAt } = event.payload;
  if (balance === undefined && refilledAt === undefined) return undefined;
  return { ...(balance !== undefined && { balance }), ...(refilledAt !== undefined && { refilledAt: Date.parse(refilledAt) }), seq: event.seq };
}

/** Tells the key's authority: its partner's pool when the partner pools budgets (DESIGN §10), else its own guard. */
async function refreshGuard(env: Bindings, event: OutboxEvent, record: KeyAuthRecord) {
  const credits = operatorCredits(event);
  if (isPooled(record.partner)) await poolOf(env, record.partner.id).refreshPooled(policyOf(record), credits);
  else await guardOf(env, record.key.id).refresh(policyOf(record), credits);
}

const FAN_OUT_CONCURRENCY = 32;

/**
 * A partner changed: the origin registry follows its origins and status, every one of its live
 * keys' guards learns the new status and tier (suspension bites on the next request), and their
 * cached records are dropped. Each step runs even when another failed: the guards need no KV, so a
 * KV outage must not keep them from hearing a suspension. A guard this misses still catches up:
 * cached records carry the partner version, and a newer one makes the guard reload from D1.
 * The partner's pool hears it too, first (DESIGN §10): it decides the keys while the partner pools
 * budgets, and a key guard leaving the pool takes its budget back from it.
 */
const fanOutPartner: Reaction = async (env, event) => {
  const partner = await getPartner(env.DB, event.subject_id);
  if (!partner) throw new Error(`partner ${event.subject_id} vanished after being written`);
  const keys = await liveKeysOfPartner(env.DB, partner.id);
  const { attempt, rethrow } = attempts();
  await attempt(poolOf(env, partner.id).poolPartnerChanged(partnerInfoOf(partner), operatorCredits(event)));
  for (let i = 0; i < keys.length; i += FAN_OUT_CONCURRENCY) {
    await Promise.all(
      keys.slice(i, i + FAN_OUT_CONCURRENCY).flatMap((key) => [
        attempt(
          guardOf(env, key.id).partnerChanged({
            partnerVersion: partner.version,
            partnerStatus: partner.status,
            partnerTier: partner.rate_limit_tier,
            keyTier: key.rate_limit_tier,
            pooled: isPooled(partner),
          }),
        ),
        attempt(forgetKeyRecord(env, key.id)),
      ]),
    );
  }
  // A status change moves its keys' origins in or out of the registry too.
  const origins = [...(event.payload.previous_origins ?? []), ...partner.allowed_origins, ...keys.flatMap((key) => key.allowed_origins)];
  await attempt(syncOrigins(env, origins));
  rethrow();
};

/**
 * A user changed (status, permissions, role): each of its live keys' records is re-read and
 * republished (KV rewritten, this isolate's copy dropped) and its guard handed the new policy, so
 * a deactivation bites on the very next request and new permissions shape the keys' effective
 * scopes at once. The commit bumped those keys' versions, so any copy cached elsewhere is stale
 * to the guard and reloaded from D1; a guard this misses catches up the same way. Origins do not
 * depend on users: the CORS registry is left alone.
 */
const fanOutUser: Reaction = async (env, event) => {
  const keyIds = await liveKeyIdsOfUser(env.DB, event.subject_id);
  const { attempt, rethrow } = attempts();
  for (let i = 0; i < keyIds.length; i += FAN_OUT_CONCURRENCY) {
    await Promise.all(
      keyIds.slice(i, i + FAN_OUT_CONCURRENCY).map((keyId) =>
        attempt(
          (async () => {
            const record = await publishKeyRecord(env, keyId);
            if (!record) throw new Error(`key ${keyId} vanished after being listed`);
            await refreshGuard(env, event, record);
          })(),
        ),
      ),
    );
  }
  rethrow();
};

/** A new partner has no keys yet: only its own origins need registering. */
const registerPartnerOrigins: Reaction = async (env, event) => {
  const partner = await getPartner(env.DB, event.subject_id);
  if (!partner) throw new Error(`partner ${event.subject_id} vanished after being written`);
  await syncOrigins(env, partner.allowed_origins);
};

/**
 * The registry: what runs after each event type commits. Add a reaction here (a webhook delivery,
 * DESIGN §8, goes on every type) and every path runs it: the request that committed the event,
 * the queue consumer and the cron sweep.
 */
export const REACTIONS: Readonly<Record<EventType, readonly Reaction[]>> = {
  "key.created": [propagateKey],
  "key.updated": [propagateKey],
  "key.rotated": [propagateKey],
  "key.revoked": [propagateKey],
  "partner.created": [registerPartnerOrigins],
  "partner.updated": [fanOutPartner],
  "user.created": [],
  "user.updated": [fanOutUser],
  // A passkey lives in D1 alone, read on every use: nothing to propagate.
  "passkey.registered": [],
  "passkey.revoked": [],
  "key.leaked": [propagateKey],
  "webhook.created": [],
  "webhook.updated": [],
  "webhook.deleted": [],
  "webhook.secret_rotated": [],
  "webhook.disabled": [],
  "webhook.redelivered": [],
  // Notices change nothing to propagate: they exist for their webhooks.
  "key.expiring": [],
  "key.expired": [],
  "credits.low": [],
  "rate_limit.exceeded": [],
  "partner.suspended": [],
};

/**
 * Runs every reaction of the event, each even when another failed, and throws the first failure.
 * Unknown types (a row written by a newer deployment) have nothing to run here.
 */
export async function runReactions(env: Bindings, event: OutboxEvent): Promise<void> {
  const { attempt, rethrow } = attempts();
  await Promise.all((REACTIONS[event.type] ?? []).map((reaction) => attempt(reaction(env, event))));
  rethrow();
}
