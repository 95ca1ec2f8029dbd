import { resolvedTier, type Limit } from "../config";
import { loadKeyAuthRecord } from "../db/keys";
import { partnerSql } from "../db/partners";
import type { Bindings } from "../env";
import { now as clockNow } from "../lib/clock";
import { outcomeOf, type Counts } from "../usage/buckets";
import { allFlushed, flushUsage } from "../usage/flush";
import { usageWriterFor } from "../usage/submit";
import { admitBoth, combinedState, latestBudget, reportedCredits } from "./budget";
import { GuardCredits, type OperatorCredits } from "./guard-credits";
import type { MultiWindow } from "./multi-window";
import { partnerInfoOf, policyOf, storedBudget, type AdmissionVerdict, type CallerRefusal, type GuardPolicy, type HandedBudget, type PartnerInfo, type RecordVersion } from "./policy";
import { PoolSlot } from "./pool-slot";
import { bucketKey, sameLimits, storedWindows } from "./stored-window";

/** The partner as the pool knows it, with the epoch: the partner version at which it last became pooled. */
interface PoolState extends PartnerInfo {
  epoch: number;
}

const UNCONFIRMED = { allowUnconfirmed: true } as const;
const SHARED = "p:";

/**
 * A partner's budgets (DESIGN §10), inside the KeyGuard object named `partner:<partner id>`: the
 * one admission point of every key of a pooled partner (`isPooled`: scope `partner`, or shared
 * credits). It holds the partner's shared windows and balance and each of its keys' own state
 * (./pool-slot.ts), so one call decides a request against all of them atomically: no awaits
 * between reading and spending.
 *
 * Storage: `p:state` (PoolState), `p:credits`/`p:refilled_at`/`p:credits_seq` (the shared
 * balance), `p:rl:…` (the shared windows), `p:dirty` (keys with usage to flush), `k:<key id>:…`
 * (each key's slot).
 *
 * Authority moves with the partner's pooling: a key's budget (balance, refill time, usage
 * sequence) is handed over by the object that held it when the other first needs it (`handOff`),
 * after that object flushed its usage and learned the partner version that moved it, so callers
 * with older records are sent back as stale. Windows start afresh on a move.
 */
export class PartnerPool {
  private state: PoolState | undefined;
  private readonly credits: GuardCredits;
  private shared: MultiWindow | undefined;
  private readonly slots = new Map<string, PoolSlot>();
  private readonly dirty: Set<string>;
  /** Storage key → its current count, written behind on the next tick (as the key guard does). */
  private readonly unwritten = new Map<string, () => number | undefined>();
  private readonly pendingSlots = new Set<PoolSlot>();
  private writeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Bindings,
    /** Makes sure a usage flush (the object's alarm) is scheduled. */
    private readonly scheduleFlush: (now: number) => void,
    /** Asks a key's own guard for the budget it held (null: it held none). */
    private readonly takeFromKey: (keyId: string, partner: PartnerInfo) => Promise<HandedBudget | null>,
  ) {
    const kv = ctx.storage.kv;
    this.state = kv.get<PoolState>("p:state");
    this.credits = new GuardCredits(kv, SHARED);
    this.dirty = new Set(kv.get<string[]>("p:dirty") ?? []);
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
    const known = slot.policy && this.state;
    if (!known || slot.epoch !== this.state!.epoch || version.key > slot.policy!.keyVersion || version.partner > this.state!.version) {
      if (!(await this.load(slot))) return { outcome: "unknown" };
    }
    const policy = slot.policy!;
    const state = this.state!;
    if (version.key < policy.keyVersion || version.partner < state.version || !state.pooled) return { outcome: "stale" };

    const now = clockNow();
    const shared = state.scope === "partner" ? this.sharedFor(resolvedTier(this.env, state.tier).limits) : null;
    // Pooled for its credits only, a key keeps its usual windows; sharing the partner's, it is capped by its own tier only if it has one.
    const ownTier = state.scope === "partner" ? (policy.ownTier ?? null) : (policy.ownTier ?? state.tier);
    const own = slot.windowsFor(ownTier === null ? null : resolvedTier(this.env, ownTier).limits, (prefix) => this.forget(prefix));
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
    if (policy.revoked) return refuse("revoked");
    if (policy.expiresAt !== null && now >= policy.expiresAt) return refuse("expired");
    if (state.status !== "active") return refuse("partner_suspended");
    if (policy.userStatus === "deactivated") return refuse("user_deactivated");
    if (refusal) return refuse(refusal);
    const refilled = slot.credits.refill(policy.refill, now);
    if (refilled !== null) slot.notices.creditsSet(refilled);
    this.credits.refill(state.refill, now);
    if (reportedCredits(slot.credits.balance, this.credits.balance, cost).short) return refuse("credits_exhausted");

    this.expire(shared, SHARED, now);
    this.expire(own, slot.base, now);
    const result = admitBoth(shared, own, now, cost);
    if (!result.admitted) {
      for (const limit of result.refusing) slot.notices.refused(limit, now);
      return { outcome: "rate_limited", ratelimit: result.state, credits: slot.credits.balance, reported: reportNow(), retryAt: result.admitsAt };
    }
    slot.usedAt = now;
    result.shared?.forEach((b, i) => this.unwritten.set(bucketKey(i, b, SHARED), () => this.shared?.windows[i]?.counts.get(b)));
    result.own?.forEach((b, i) => this.unwritten.set(bucketKey(i, b, slot.base), () => slot.windows?.windows[i]?.counts.get(b)));
    // Credits are money: both writes are confirmed before the reply leaves (GuardCredits).
    slot.credits.spend(cost);
    this.credits.spend(cost);
    const left = slot.credits.balance;
    if (left !== null) slot.notices.spent(left, cost, now);
    this.markDirty(slot);
    return { outcome: "ok", ratelimit: result.state, credits: left, reported: reportNow() };
  }

  /**
   * Loads a key's record (and so the partner's) from D1 and, when the pool has not held this key's
   * budget in its current epoch, takes it from the key's own guard. Nothing else runs meanwhile,
   * so no request is decided on a half-taken budget.
   */
  private load(slot: PoolSlot): Promise<boolean> {
    return this.ctx.blockConcurrencyWhile(async () => {
      const record = await loadKeyAuthRecord(this.env.DB, slot.keyId);
      if (!record) return false;
      const partner = partnerInfoOf(record.partner);
      this.learn(partner);
      const policy = policyOf(record);
      if (!slot.policy || policy.keyVersion >= slot.policy.keyVersion) slot.setPolicy(policy);
      const state = this.state!;
      if (state.pooled && slot.epoch !== state.epoch) {
        const handed = await this.takeFromKey(slot.keyId, partner);
        // The key's guard's copy if it spent last, else what this pool still holds, else D1's (./budget.ts).
        const live = latestBudget([handed, slot.policy && slot.epoch !== -1 ? this.budgetOf(slot) : null, storedBudget(record)])!;
        slot.credits.load(live.credits, live.refilledAt);
        slot.usage.skipTo(Math.max(record.key.usage_seq, handed?.usageSeq ?? 0));
        slot.setEpoch(state.epoch);
      }
      return true;
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
    if (slot.policy && policy.keyVersion < slot.policy.keyVersion) return;
    if (!slot.policy || slot.epoch !== this.state?.epoch) {
      if (!(await this.load(slot))) return;
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
   * from now on. Null when this pool does not hold the key's budget.
   */
  async release(keyId: string, partner: PartnerInfo): Promise<HandedBudget | null> {
    this.learn(partner);
    const slot = this.slot(keyId);
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
    const balance = this.credits.balance;
    if (state && balance !== null) {
      const refilledAt = this.credits.refilledAt === null ? null : new Date(this.credits.refilledAt).toISOString();
      await this.env.DB.prepare(partnerSql.flushCredits).bind(state.partnerId, balance, refilledAt, state.version).run();
    }
    return notices;
  }

  get hasPending(): boolean {
    return this.dirty.size > 0;
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
    return (this.shared = storedWindows(this.ctx.storage.kv, limits, this.shared, (prefix) => this.forget(prefix), SHARED));
  }

  private expire(windows: MultiWindow | null, base: string, now: number) {
    const expired = windows?.expired(now).flatMap((indexes, slot) => indexes.map((index) => bucketKey(slot, index, base))) ?? [];
    if (expired.length === 0) return;
    for (const key of expired) this.unwritten.delete(key);
    void this.ctx.storage.delete(expired, UNCONFIRMED);
  }

  private forget(prefix: string) {
    for (const key of this.unwritten.keys()) if (key.startsWith(prefix)) this.unwritten.delete(key);
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
    this.pendingSlots.add(slot);
    this.writeTimer ??= setTimeout(() => this.write(), 0);
  }

  /** The write-behind put (KeyGuard.writeCounters): counts, last use, usage and notices of every slot touched. */
  private write() {
    this.writeTimer = undefined;
    const entries: Record<string, unknown> = {};
    for (const [key, read] of this.unwritten) {
      const n = read();
      if (n !== undefined) entries[key] = n;
    }
    this.unwritten.clear();
    for (const slot of this.pendingSlots) Object.assign(entries, slot.entries());
    this.pendingSlots.clear();
    void this.ctx.storage.put(entries, UNCONFIRMED);
  }
}
