import { resolvedTier, type Limit } from "../config";
import { loadKeyAuthRecord } from "../db/keys";
import type { Bindings } from "../env";
import { now as clockNow } from "../lib/clock";
import { outcomeOf, type Counts } from "../usage/buckets";
import { allFlushed, flushUsage } from "../usage/flush";
import { usageWriterFor } from "../usage/submit";
import { admitBoth, combinedState, latestBudget, reportedCredits } from "./budget";
import type { OperatorCredits } from "./guard-credits";
import { isSuperseded, type HandOffAnswer, type Loaded } from "./hand-over";
import type { MultiWindow } from "./multi-window";
import { partnerInfoOf, policyOf, policyRefusal, storedBudget, type AdmissionVerdict, type CallerRefusal, type GuardPolicy, type HandedBudget, type PartnerInfo, type RecordVersion } from "./policy";
import { PoolSlot } from "./pool-slot";
import { PoolWrites } from "./pool-writes";
import { SharedBudget } from "./pool-shared";
import { sameLimits, storedWindows } from "./stored-window";

/** The partner as the pool knows it, with the epoch: the partner version at which it last became pooled. */
interface PoolState extends PartnerInfo {
  epoch: number;
}

const SHARED = "p:";

/**
 * A partner's budgets (DESIGN §10), inside the KeyGuard object named `partner:<partner id>`: the
 * one admission point of every key of a pooled partner (`isPooled`: scope `partner`, or shared
 * credits). It holds the partner's shared windows and balance and each of its keys' own state
 * (./pool-slot.ts), so one call decides a request against all of them atomically: no awaits
 * between reading and spending.
 *
 * Storage: `p:state` (PoolState), `p:credits`/`p:refilled_at`/`p:credits_seq`/`p:usage`/`p:notices`
 * (the shared balance, ./pool-shared.ts), `p:rl:…` (the shared windows), `p:dirty` (keys with usage to flush), `k:<key id>:…`
 * (each key's slot).
 *
 * Authority moves with the partner's pooling: a key's budget (balance, refill time, usage
 * sequence) is handed over by the object that held it when the other first needs it (`handOff`),
 * after that object flushed its usage and learned the partner version that moved it, so callers
 * with older records are sent back as stale. Windows start afresh on a move.
 *
 * A take never blocks this object (./hand-over.ts): the key's guard may be taking the same budget
 * back at that moment, for the version that stopped pooling, and a pool blocked while it waits
 * for that guard could not answer it: both would hang. Instead the newer partner version wins.
 * The pool's take for an older version than the guard's fails (its caller, holding an outdated
 * record, is stale); a guard's take for an older version than the pool's (pooling again) is
 * refused. Either way exactly one object holds the budget for each version, and only that
 * key's admissions wait for a take in flight.
 */
export class PartnerPool {
  private state: PoolState | undefined;
  private readonly credits: SharedBudget;
  private shared: MultiWindow | undefined;
  private readonly slots = new Map<string, PoolSlot>();
  private readonly dirty: Set<string>;
  private readonly writes: PoolWrites;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Bindings,
    /** Makes sure a usage flush (the object's alarm) is scheduled. */
    private readonly scheduleFlush: (now: number) => void,
    /** Asks a key's own guard for the budget it held (null: it held none). */
    private readonly takeFromKey: (keyId: string, partner: PartnerInfo) => Promise<HandOffAnswer>,
  ) {
    const kv = ctx.storage.kv;
    this.state = kv.get<PoolState>("p:state");
    this.credits = new SharedBudget(kv);
    this.dirty = new Set(kv.get<string[]>("p:dirty") ?? []);
    // The shared balance's usage and notices ride the same write-behind put.
    this.writes = new PoolWrites(ctx.storage, () => this.credits.entries());
  }

  /** One request of `cost` by `keyId` (see KeyGuard.admit, whose contract this keeps). */
  async admit(keyId: string, version: RecordVersion, cost: number, refusal: CallerRefusal | null, reported: Counts | null): Promise<AdmissionVerdict> {
    const slot = this.slot(keyId);
    if (reported) this.counted(slot, (now) => slot.usage.add(now, reported));
    const verdict = await this.decide(slot, version, cost, refusal);
    const outcome = cost > 0 ? outcomeOf(verdict.outcome) : null;
    if (outcome) this.counted(slot, (now) => slot.usage.count(now, outcome));
    return verdict;
  }

  /** Counts an isolate decided alone, and the live usage of one key (KeyGuard.liveUsage). */
  liveUsage(keyId: string, reported: Counts | null) {
    const slot = this.slot(keyId);
    if (reported) this.counted(slot, (now) => slot.usage.add(now, reported));
    return slot.usage.live();
  }

  private async decide(slot: PoolSlot, version: RecordVersion, cost: number, refusal: CallerRefusal | null): Promise<AdmissionVerdict> {
    // A load of this key is running, maybe taking its budget: decide on what it finds, never on a half-taken budget.
    for (let gate = slot.handOver.pending; gate; gate = slot.handOver.pending) await gate;
    const known = slot.policy && this.state;
    if (!known || slot.epoch !== this.state!.epoch || version.key > slot.policy!.keyVersion || version.partner > this.state!.version) {
      const loaded = await this.load(slot);
      if (loaded !== "loaded") return { outcome: loaded };
    }
    const policy = slot.policy!;
    const state = this.state!;
    if (version.key < policy.keyVersion || version.partner < state.version || !state.pooled) return { outcome: "stale" };

    const now = clockNow();
    const shared = state.scope === "partner" ? this.sharedFor(resolvedTier(this.env, state.tier).limits) : null;
    // Pooled for its credits only, a key keeps its usual windows; sharing the partner's, it is capped by its own tier only if it has one.
    const ownTier = state.scope === "partner" ? (policy.ownTier ?? null) : (policy.ownTier ?? state.tier);
    const own = slot.windowsFor(ownTier === null ? null : resolvedTier(this.env, ownTier).limits, (prefix) => this.writes.forget(prefix));
    const reportNow = () => {
      const { balance, source } = reportedCredits(slot.credits.balance, this.credits.balance, cost);
      return { balance, source };
    };
    const refuse = (outcome: Exclude<AdmissionVerdict["outcome"], "stale" | "unknown" | "ok">): AdmissionVerdict => ({
      outcome,
      ratelimit: combinedState(shared, own, now),
      credits: slot.credits.balance,
      reported: reportNow(),
    });
    const refused = policyRefusal(policy, state.status, now, refusal);
    if (refused) return refuse(refused);
    const added = slot.credits.refill(policy.refill, now);
    if (added !== null) {
      slot.notices.creditsSet(slot.credits.balance);
      this.counted(slot, (at) => slot.usage.count(at, "credits_refilled", added));
    }
    this.credits.refill(state.refill, now);
    if (reportedCredits(slot.credits.balance, this.credits.balance, cost).short) return refuse("credits_exhausted");

    this.writes.expire(shared, SHARED, now);
    this.writes.expire(own, slot.base, now);
    const result = admitBoth(shared, own, now, cost);
    if (!result.admitted) {
      for (const limit of result.refusing) slot.notices.refused(limit, now);
      return { outcome: "rate_limited", ratelimit: result.state, credits: slot.credits.balance, reported: reportNow(), retryAt: result.admitsAt };
    }
    slot.usedAt = now;
    this.writes.counted(result.shared, SHARED, () => this.shared);
    this.writes.counted(result.own, slot.base, () => slot.windows);
    // Credits are money: both writes are confirmed before the reply leaves (GuardCredits).
    slot.credits.spend(cost);
    this.credits.spend(cost, now);
    const left = slot.credits.balance;
    if (left !== null) slot.notices.spent(left, cost, now);
    this.markDirty(slot);
    return { outcome: "ok", ratelimit: result.state, credits: left, reported: reportNow() };
  }

  /**
   * Loads a key's record (and so the partner's) from D1 and, when the pool has not held this key's
   * budget in its current epoch, takes it from the key's own guard, for the partner version the
   * pool knows. Only this key's admissions wait meanwhile (./hand-over.ts): the guard may be asking
   * this pool for the budget at the same moment, and must be answered. `stale` when the guard
   * decides the key for a newer version.
   */
  private load(slot: PoolSlot): Promise<Loaded> {
    return slot.handOver.run(async (taking) => {
      const record = await loadKeyAuthRecord(this.env.DB, slot.keyId);
      if (!record) return "unknown";
      this.learn(partnerInfoOf(record.partner));
      const policy = policyOf(record);
      if (!slot.policy || policy.keyVersion >= slot.policy.keyVersion) slot.setPolicy(policy);
      const { epoch, ...partner } = this.state!;
      if (!partner.pooled || slot.epoch === epoch) return "loaded";
      taking(partner.version);
      const handed = await this.takeFromKey(slot.keyId, partner);
      if (isSuperseded(handed)) return "stale";
      // The key's guard's copy if it spent last, else what this pool still holds, else D1's (./budget.ts).
      const live = latestBudget([handed, slot.epoch !== -1 ? this.budgetOf(slot) : null, storedBudget(record)])!;
      slot.credits.load(live.credits, live.refilledAt);
      slot.usage.skipTo(Math.max(record.key.usage_seq, handed?.usageSeq ?? 0));
      // The epoch it was taken under: should the partner have stopped and restarted pooling meanwhile, the next request takes it again.
      slot.setEpoch(epoch);
      return "loaded";
    });
  }

  /** Takes a newer partner state; a move into pooling starts a new epoch. The shared balance comes from D1 on first contact only. */
  private learn(info: PartnerInfo): void {
    const current = this.state;
    if (current && info.version <= current.version) return;
    if (!current) this.credits.load(info.credits, info.refilledAt);
    const epoch = !current || (!current.pooled && info.pooled) ? info.version : current.epoch;
    this.state = { ...info, epoch };
    this.ctx.storage.kv.put("p:state", this.state);
  }

  /**
   * A partner change (src/events/reactions.ts); `credits` is a balance the operator set, applied
   * once per event. When the partner stops pooling, every key's usage and balance goes to D1 at
   * once, for key guards that meet their key for the first time and read it there.
   */
  async partnerChanged(info: PartnerInfo, credits?: OperatorCredits): Promise<void> {
    const wasPooled = this.state?.pooled === true;
    this.learn(info);
    if (credits) this.credits.fromOperator(credits);
    if (wasPooled && !this.state!.pooled) await this.flush();
  }

  /** A key change, for a key this pool decides (KeyGuard.refresh's contract). */
  async refresh(policy: GuardPolicy, credits?: OperatorCredits): Promise<void> {
    const slot = this.slot(policy.keyId);
    await slot.handOver.settled();
    if (slot.policy && policy.keyVersion < slot.policy.keyVersion) return;
    if (!slot.policy || slot.epoch !== this.state?.epoch) {
      if ((await this.load(slot)) !== "loaded") return;
    }
    slot.setPolicy(policy);
    if (credits && slot.credits.fromOperator(credits)) {
      slot.notices.creditsSet(slot.credits.balance);
      this.ctx.storage.kv.put(`${slot.base}notices`, slot.notices.toStorage());
    }
  }

  /**
   * Gives a key's budget back to its own guard, the partner having stopped pooling (`partner` is
   * its newer state): the key's usage is flushed first, and callers with older records are stale
   * from now on. Null when this pool does not hold the key's budget; `superseded` when the pool
   * takes or decides the key for a newer partner version (./hand-over.ts).
   */
  async release(keyId: string, partner: PartnerInfo): Promise<HandOffAnswer> {
    const slot = this.slot(keyId);
    const superseded = await slot.handOver.answer(partner.version, () => ({ version: this.state?.version ?? 0, decides: this.state?.pooled === true }));
    if (superseded) return superseded;
    this.learn(partner);
    // Held in any epoch and not released yet: the guard compares it with its own copy (latestBudget).
    if (!slot.policy || slot.epoch === -1) return null;
    await this.flushSlot(slot);
    slot.setEpoch(-1);
    return this.budgetOf(slot);
  }

  private budgetOf(slot: PoolSlot): HandedBudget {
    return { credits: slot.credits.balance, refilledAt: slot.credits.refilledAt, usageSeq: slot.usage.lastSeq, usedAt: slot.usedAt ?? null };
  }

  /** Writes every key's usage and the shared balance to D1 (the object's alarm); returns the notices written. */
  async flush(): Promise<string[]> {
    // All at once: each key's flush waits for its aggregator's window, which they then share.
    const notices = await allFlushed([...this.dirty].map((keyId) => this.flushSlot(this.slot(keyId))));
    const state = this.state;
    if (state) notices.push(...(await this.credits.flush(this.env.DB, state.partnerId, state.version)));
    return notices;
  }

  get hasPending(): boolean {
    return this.dirty.size > 0 || this.credits.hasPending;
  }

  private async flushSlot(slot: PoolSlot): Promise<string[]> {
    const policy = slot.policy;
    this.dirty.delete(slot.keyId);
    this.ctx.storage.kv.put("p:dirty", [...this.dirty]);
    if (!policy) return [];
    const { balance: credits, refilledAt } = slot.credits;
    const state = { keyId: slot.keyId, partnerId: policy.partnerId, usedAt: slot.usedAt, credits, refilledAt };
    try {
      return (await flushUsage(usageWriterFor(this.env, slot.keyId), state, slot.usage, () => slot.persistUsage(), this.env.USAGE_ANALYTICS)) ?? [];
    } catch (err) {
      this.markDirty(slot);
      throw err;
    }
  }

  private slot(keyId: string): PoolSlot {
    let slot = this.slots.get(keyId);
    if (!slot) this.slots.set(keyId, (slot = new PoolSlot(this.ctx.storage.kv, keyId)));
    return slot;
  }

  private sharedFor(limits: readonly Limit[]): MultiWindow {
    if (sameLimits(this.shared, limits)) return this.shared!;
    return (this.shared = storedWindows(this.ctx.storage.kv, limits, this.shared, (prefix) => this.writes.forget(prefix), SHARED));
  }

  private counted(slot: PoolSlot, count: (now: number) => void) {
    const now = clockNow();
    count(now);
    this.markDirty(slot);
    this.scheduleFlush(now);
  }

  private markDirty(slot: PoolSlot) {
    if (!this.dirty.has(slot.keyId)) {
      this.dirty.add(slot.keyId);
      this.ctx.storage.kv.put("p:dirty", [...this.dirty]);
    }
    this.writes.touched(slot);
  }
}
