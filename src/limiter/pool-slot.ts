import type { Limit } from "../config";
import { UsageTally, type StoredTally } from "../usage/tally";
import { GuardCredits } from "./guard-credits";
import { GuardNotices, type StoredNoticeState } from "./guard-notices";
import { HandOver } from "./hand-over";
import type { MultiWindow } from "./multi-window";
import type { GuardPolicy } from "./policy";
import { sameLimits, storedWindows } from "./stored-window";

/**
 * One key's state inside its partner's object (./partner-pool.ts): what the key's own guard holds
 * for a key it decides, under the storage prefix `k:<key id>:` —
 *
 *   policy, epoch     the key's policy, and the pooling epoch its budget was taken under
 *   credits, refilled_at, credits_seq     its own balance (./guard-credits.ts)
 *   rl:…              its own windows (./stored-window.ts), when its tier caps it
 *   used_at, usage, notices               last use, usage tally and notice state, flushed per key
 */
export class PoolSlot {
  readonly base: string;
  policy: GuardPolicy | undefined;
  /** The pool's epoch this slot's budget was taken under; another epoch means it must be taken again. */
  epoch: number;
  readonly credits: GuardCredits;
  windows: MultiWindow | undefined;
  usedAt: number | undefined;
  readonly usage: UsageTally;
  readonly notices: GuardNotices;
  /** Loads of the key's record and takes of its budget, one at a time (in memory only: none outlives the object). */
  readonly handOver = new HandOver();

  constructor(
    private readonly kv: SyncKvStorage,
    readonly keyId: string,
  ) {
    this.base = `k:${keyId}:`;
    this.policy = kv.get<GuardPolicy>(`${this.base}policy`);
    this.epoch = kv.get<number>(`${this.base}epoch`) ?? -1;
    this.credits = new GuardCredits(kv, this.base);
    this.usedAt = kv.get<number>(`${this.base}used_at`);
    this.usage = UsageTally.from(kv.get<StoredTally>(`${this.base}usage`));
    this.notices = new GuardNotices(kv.get<StoredNoticeState>(`${this.base}notices`), this.usage);
  }

  setPolicy(policy: GuardPolicy): void {
    this.policy = policy;
    this.kv.put(`${this.base}policy`, policy);
  }

  setEpoch(epoch: number): void {
    this.epoch = epoch;
    this.kv.put(`${this.base}epoch`, epoch);
  }

  /** The key's own windows for `limits` (null: none cap it), kept in memory while their limits hold. */
  windowsFor(limits: readonly Limit[] | null, forget: (prefix: string) => void): MultiWindow | null {
    if (!limits) return null;
    if (sameLimits(this.windows, limits)) return this.windows!;
    return (this.windows = storedWindows(this.kv, limits, this.windows, forget, this.base));
  }

  /** What the write-behind put carries for this slot. */
  entries(): Record<string, unknown> {
    const entries: Record<string, unknown> = { [`${this.base}usage`]: this.usage.toStorage() };
    if (this.usedAt !== undefined) entries[`${this.base}used_at`] = this.usedAt;
    if (this.notices.dirty) entries[`${this.base}notices`] = this.notices.toStorage();
    return entries;
  }

  persistUsage(): void {
    this.kv.put(`${this.base}usage`, this.usage.toStorage());
  }
}
