import { forgetKeyRecord, publishKeyRecord } from "./key-records";
import { syncOrigins } from "./origin-registry";
import { liveKeysOfPartner, type KeyAuthRecord } from "../db/keys";
import type { Partner } from "../db/partners";
import type { Bindings } from "../env";
import { policyOf } from "../limiter/policy";
import { guardOf } from "../limiter/client";
import { StorageError } from "../lib/instrument";
import { ApiError } from "../lib/problem";

/**
 * After a key's row changed in D1: re-read it, rewrite KV and this isolate's copy, and hand the
 * new policy to the key's Durable Object so a revoke, rotation or expiry change bites on the very
 * next request everywhere. `credits` is passed only when the operator set the balance.
 */
export async function keyChanged(
  env: Bindings,
  keyId: string,
  options: { credits?: number | null; isNew?: boolean; previousOrigins?: readonly string[] } = {},
): Promise<KeyAuthRecord> {
  return afterCommit(async () => {
    const record = await publishKeyRecord(env, keyId);
    if (!record) throw new Error(`key ${keyId} vanished after being written`);
    await syncOrigins(env, [...(options.previousOrigins ?? []), ...record.key.allowed_origins]);
    // A new key's guard has no state to correct; it loads from D1 on first use.
    if (!options.isNew) await guardOf(env, keyId).refresh(policyOf(record), options.credits);
    return record;
  });
}

/**
 * Runs what must follow a committed D1 change. If it fails, the change is saved but not yet
 * everywhere: the caller hears exactly that, and repeating the request (every mutation route
 * is safe to repeat) finishes the propagation.
 */
export async function afterCommit<T>(
  work: () => Promise<T>,
  detail = "The change was saved but is not yet in effect everywhere. Repeat the request.",
): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof StorageError)) throw err;
    throw new ApiError("propagation_pending", detail, { headers: { "retry-after": "1" } });
  }
}

const FAN_OUT_CONCURRENCY = 32;

/**
 * After a partner changed: the origin registry follows its origins and status, every one of its live keys' guards learns the new status and tier
 * (suspension bites on the next request), and their cached records are dropped. A guard this
 * misses still catches up: cached records carry the partner version, and a newer one makes the
 * guard reload from D1.
 */
export async function partnerChanged(env: Bindings, partner: Partner, previousOrigins: readonly string[] = []): Promise<void> {
  await afterCommit(() => fanOutPartner(env, partner, previousOrigins));
}

/**
 * Each step runs even when another failed: the guards, which make a suspension bite, need no KV,
 * so a KV outage must not keep them from hearing it. The first failure is reported afterwards.
 */
async function fanOutPartner(env: Bindings, partner: Partner, previousOrigins: readonly string[]): Promise<void> {
  const results = await liveKeysOfPartner(env.DB, partner.id);
  const failures: unknown[] = [];
  const attempt = (step: Promise<unknown>) => step.catch((err: unknown) => void failures.push(err));
  for (let i = 0; i < results.length; i += FAN_OUT_CONCURRENCY) {
    await Promise.all(
      results.slice(i, i + FAN_OUT_CONCURRENCY).flatMap((key) => [
        attempt(
          guardOf(env, key.id).partnerChanged({
            partnerVersion: partner.version,
            partnerStatus: partner.status,
            partnerTier: partner.rate_limit_tier,
            keyTier: key.rate_limit_tier,
          }),
        ),
        attempt(forgetKeyRecord(env, key.id)),
      ]),
    );
  }
  // A status change moves its keys' origins in or out of the registry too.
  await attempt(syncOrigins(env, [...previousOrigins, ...partner.allowed_origins, ...results.flatMap((key) => key.allowed_origins)]));
  if (failures.length > 0) throw failures[0];
}
