import type { KeyAuthRecord } from "../db/keys";
import type { Bindings } from "../env";
import { now as clockNow } from "../lib/clock";
import type { Counts } from "../usage/buckets";
import type { UsageSegment } from "../usage/tally";
import type { OperatorCredits } from "./guard-credits";
import { leasesExpired } from "./guard-leases";
import { sendNotices } from "./guard-notices";
import { KeyGuardCore } from "./key-guard-core";
import { poolName } from "./key-guard-names";
import { PartnerPool } from "./partner-pool";
import { latestBudget } from "./budget";
import { isSuperseded, type HandOffAnswer, type Loaded } from "./hand-over";
import { partnerInfoOf, policyOf, storedBudget, type AdmissionVerdict, type CallerRefusal, type GuardPolicy, type HandedBudget, type PartnerInfo, type RecordVersion } from "./policy";


/**
 * The Durable Object class behind every guard. Named by a key id, it is that key's guard
 * (./key-guard-core.ts). Named `partner:<id>` (`poolName`), it is the partner's pool
 * (./partner-pool.ts): the one admission point of every key of a partner that shares windows or
 * credits, holding the partner's budgets and its keys' own. One class, so no new binding or
 * migration: an object plays one role, by the methods its callers use (src/limiter/client.ts).
 *
 * The two roles take a key's budget from each other (`handOff`) when the partner starts or stops
 * pooling, and a flip back and forth can make both take at once, each for the version it read.
 * So neither blocks its object while it waits for the other (that deadlocked them): a take only
 * gates the key's admissions, and the take for the newer partner version wins (./hand-over.ts),
 * so the budget is never held, and spent, on both sides.
 */
export class KeyGuard extends KeyGuardCore {
  private poolState: PartnerPool | undefined;

  /**
   * Takes a freshly written policy from a mutation (revoke, rotate, update). Older versions are
   * ignored, so two racing mutations cannot roll the guard back. `credits` replaces the live
   * balance only when the operator set it, and only once per event: its outbox `seq` must be newer
   * than the last one applied, so a retried or repeated run of the same event (or an older one
   * running late) never gives back credits spent since. A refill the operator set restarts its
   * schedule the same way.
   */
  async refresh(policy: GuardPolicy, credits?: OperatorCredits): Promise<void> {
    // After a take of the budget in flight, which may move the policy (./hand-over.ts).
    await this.handOver.settled();
    const current = this.policy;
    if (current && olderThan(policy, current)) return;
    // First contact, or back from its partner's pool: the balance comes with the record (loadFromD1).
    if (!current || (current.pooled && !policy.pooled)) {
      // Not taken back (the pool decides for a newer version, or the key is gone): the pool, or nobody, decides it now.
      if ((await this.loadFromD1(policy.keyId)) !== "loaded") return;
    }
    // The record just read may be newer than this policy.
    if (!olderThan(policy, this.policy!)) this.setPolicy(policy);
    if (credits !== undefined && this.credits.fromOperator(credits)) {
      this.notices.creditsSet(this.credits.balance);
      this.ctx.storage.kv.put("notices", this.notices.toStorage());
    }
    await leasesExpired(this.leasesUntil);
  }

  /** A partner changed (status, tier): applies it to this key's guard if it is newer. */
  async partnerChanged(change: { partnerVersion: number; partnerStatus: string; partnerTier: string; keyTier: string | null; pooled?: boolean }) {
    await this.handOver.settled();
    const current = this.policy;
    if (!current || change.partnerVersion <= current.partnerVersion) return;
    if (current.pooled && change.pooled === false) {
      await this.loadFromD1(current.keyId);
    } else {
      const { partnerVersion, partnerStatus, keyTier, partnerTier, pooled } = change;
      this.setPolicy({ ...current, partnerVersion, partnerStatus, tier: keyTier ?? partnerTier, pooled: pooled ?? current.pooled });
    }
    await leasesExpired(this.leasesUntil);
  }

  private get pool(): PartnerPool {
    return (this.poolState ??= new PartnerPool(
      this.ctx,
      this.env,
      (now) => {
        if (this.alarmAt === null) this.scheduleFlush(now);
      },
      (keyId, partner) => guardStub(this.env, keyId).handOff(keyId, partner),
    ));
  }

  /** Whether this object has ever been a partner's pool. */
  private get isPool(): boolean {
    return this.poolState !== undefined || this.ctx.storage.kv.get("p:state") !== undefined;
  }

  /** `admit` for a key of this pool's partner (no leases: every request of a pooled key meets here). */
  async admitPooled(keyId: string, version: RecordVersion, cost = 1, refusal: CallerRefusal | null = null, reported: Counts | null = null): Promise<AdmissionVerdict> {
    return this.pool.admit(keyId, version, cost, refusal, reported);
  }

  /** `liveUsage` of a key this pool decides. */
  pooledUsage(keyId: string, reported: Counts | null = null): UsageSegment[] {
    return this.pool.liveUsage(keyId, reported);
  }

  /** `refresh` of a key this pool decides. */
  async refreshPooled(policy: GuardPolicy, credits?: OperatorCredits): Promise<void> {
    await this.pool.refresh(policy, credits);
  }

  /** The partner changed: this pool takes its new state (and a balance the operator set, once per event). */
  async poolPartnerChanged(partner: PartnerInfo, credits?: OperatorCredits): Promise<void> {
    await this.pool.partnerChanged(partner, credits);
  }

  /**
   * Hands a key's live budget to the object that decides the key from now on, `partner` being the
   * partner state that moved it. As a key's guard: the key goes to its partner's pool; this guard
   * learns the partner version (older callers are stale here from now on), flushes its usage and
   * waits for its leases. As a pool: the key goes back to its own guard (PartnerPool.release).
   * Null when this object holds no budget for the key (D1's is then the truth); `superseded` when
   * this object takes or decides the key for a newer partner version (./hand-over.ts). Never
   * waits for the caller, which may be taking from this object too: that is what deadlocked.
   */
  async handOff(keyId: string, partner: PartnerInfo): Promise<HandOffAnswer> {
    if (this.isPool) return this.pool.release(keyId, partner);
    const superseded = await this.handOver.answer(partner.version, () => ({
      version: this.policy?.partnerVersion ?? 0,
      decides: this.policy !== undefined && !this.policy.pooled,
    }));
    if (superseded) return superseded;
    const policy = this.policy;
    if (!policy) return null;
    if (partner.version > policy.partnerVersion) {
      this.setPolicy({ ...policy, partnerVersion: partner.version, partnerStatus: partner.status, tier: policy.ownTier ?? partner.tier, pooled: partner.pooled });
    }
    await this.flushKey();
    await leasesExpired(this.leasesUntil);
    return this.budget();
  }

  /**
   * Asks the pool for the budget without blocking this object: the pool may be asking this guard
   * at the same moment (./hand-over.ts). The key's admissions wait at the load's gate meanwhile.
   */
  protected async takeBack(record: KeyAuthRecord, taking: (version: number) => void): Promise<Loaded> {
    const partner = partnerInfoOf(record.partner);
    taking(partner.version);
    const handed = await poolStub(this.env, record.partner.id).handOff(record.key.id, partner);
    // The pool decides the key for a newer version: the caller's record is outdated, this guard's budget stays as it is.
    if (isSuperseded(handed)) return "stale";
    // The pool's copy if it spent last; this guard's own if the pool never took the budget (./budget.ts).
    const live = latestBudget([handed, this.policy ? this.budget() : null, storedBudget(record)])!;
    this.setPolicy(policyOf(record));
    this.credits.load(live.credits, live.refilledAt);
    this.usage.skipTo(Math.max(record.key.usage_seq, handed?.usageSeq ?? 0));
    return "loaded";
  }

  private budget(): HandedBudget {
    return { credits: this.credits.balance, refilledAt: this.credits.refilledAt, usageSeq: this.usage.lastSeq, usedAt: this.usedAt ?? null };
  }

  override async alarm(): Promise<void> {
    if (!this.isPool) return super.alarm();
    this.alarmAt = null;
    const pool = this.pool;
    const notices = await pool.flush();
    // Paces the next flush a minute on, as a key's guard does (KeyGuardCore.scheduleFlush).
    this.ctx.storage.kv.put("flushed_at", Date.now());
    if (pool.hasPending && this.alarmAt === null) this.scheduleFlush(clockNow());
    await sendNotices(this.env, notices);
  }
}

/** Whether `policy` is older than `than` in either version. */
const olderThan = (policy: GuardPolicy, than: GuardPolicy) => policy.keyVersion < than.keyVersion || policy.partnerVersion < than.partnerVersion;

/** A key's own guard. */
export const guardStub = (env: Bindings, keyId: string): DurableObjectStub<KeyGuard> => env.KEY_GUARD.get(env.KEY_GUARD.idFromName(keyId));

/** A partner's pool. */
export const poolStub = (env: Bindings, partnerId: string): DurableObjectStub<KeyGuard> => env.KEY_GUARD.get(env.KEY_GUARD.idFromName(poolName(partnerId)));
