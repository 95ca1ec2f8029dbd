import { noticeStatement } from "../db/outbox";
import { partnerSql } from "../db/partners";
import { sharedSegmentStatements, usageSql } from "../db/usage";
import { UsageTally, type StoredTally } from "../usage/tally";
import { GuardCredits, type OperatorCredits } from "./guard-credits";
import { GuardNotices, type StoredNoticeState } from "./guard-notices";
import type { CreditsRefill } from "./refill";

const BASE = "p:";

/**
 * A partner's shared balance inside its pool (./partner-pool.ts), with what it owes D1: the
 * balance and its refill time, the credits refills added (usage rows under the partner's own id,
 * so the partner's usage sums them with its keys'), and its `credits.low` notices, which are about
 * the partner (subject = the partner). Storage, under `p:`: credits, refilled_at, credits_seq
 * (./guard-credits.ts), usage (the refills' tally, written behind) and notices (their state).
 *
 * Its usage is flushed like a key's (src/usage/flush.ts), claimed under `partners.usage_seq`, so a
 * retried flush whose first try committed adds no refill and no notice twice.
 */
export class SharedBudget {
  private readonly credits: GuardCredits;
  private readonly usage: UsageTally;
  private readonly notices: GuardNotices;
  /** Changed since the last write-behind put. */
  private touched = false;

  constructor(private readonly kv: SyncKvStorage) {
    this.credits = new GuardCredits(kv, BASE);
    this.usage = UsageTally.from(kv.get<StoredTally>(`${BASE}usage`));
    this.notices = new GuardNotices(kv.get<StoredNoticeState>(`${BASE}notices`), this.usage);
  }

  /** The balance from D1, on the pool's first contact with its partner (GuardCredits.load). */
  load(balance: number | null, refilledAt: string | null): void {
    this.credits.load(balance, refilledAt);
  }

  get balance(): number | null {
    return this.credits.balance;
  }

  /** Applies the refill due at `now`, if one is, and counts what it added. */
  refill(refill: CreditsRefill | null | undefined, now: number): void {
    const added = this.credits.refill(refill, now);
    if (added === null) return;
    this.notices.creditsSet(this.credits.balance);
    this.usage.count(now, "credits_refilled", added);
    this.touched = true;
  }

  /** Spends `cost` (checked beforehand), queuing credits.low when the balance crosses a stage. */
  spend(cost: number, now: number): void {
    this.credits.spend(cost);
    const left = this.credits.balance;
    if (left !== null) this.notices.spent(left, cost, now);
  }

  /** A balance the operator set (once per event): the notices measure against it from now on. */
  fromOperator(change: OperatorCredits): void {
    if (!this.credits.fromOperator(change)) return;
    this.notices.creditsSet(this.credits.balance);
    this.kv.put(`${BASE}notices`, this.notices.toStorage());
  }

  get hasPending(): boolean {
    return this.usage.hasPending;
  }

  /** What the pool's write-behind put carries for the shared balance (nothing when untouched). */
  entries(): Record<string, unknown> {
    if (!this.touched && !this.notices.dirty) return {};
    this.touched = false;
    const entries: Record<string, unknown> = { [`${BASE}usage`]: this.usage.toStorage() };
    if (this.notices.dirty) entries[`${BASE}notices`] = this.notices.toStorage();
    return entries;
  }

  /**
   * Writes the balance (under the partner `version` it was decided at: partnerSql.flushCredits),
   * the refills' usage and the notices in one D1 batch; returns the ids of the notices D1 now holds.
   */
  async flush(db: D1Database, partnerId: string, version: number): Promise<string[]> {
    const statements: D1PreparedStatement[] = [];
    const segment = this.usage.takeForFlush();
    if (segment) {
      this.persistUsage();
      statements.push(...sharedSegmentStatements(db, partnerId, segment));
      for (const n of segment.notices ?? []) {
        const notice = { id: n.id, type: n.type, partnerId, subjectId: partnerId, at: new Date(n.at).toISOString(), payload: { data: n.data } };
        statements.push(noticeStatement(db, notice, { ifChanged: true }).statement);
      }
    }
    const { balance, refilledAt } = this.credits;
    if (balance !== null) {
      const at = refilledAt === null ? null : new Date(refilledAt).toISOString();
      statements.push(db.prepare(partnerSql.flushCredits).bind(partnerId, balance, at, version));
    }
    if (statements.length === 0) return [];
    const results = await db.batch(statements);
    if (!segment) return [];
    // Claimed nothing: D1 holds this segment (an earlier try's answer was lost) or a later one (storage was lost).
    const committed =
      results[0]!.meta.changes > 0 ? segment.seq : ((await db.prepare(usageSql.partnerSeqOf).bind(partnerId).first<{ usage_seq: number }>())?.usage_seq ?? segment.seq);
    let written: string[] = [];
    if (committed > segment.seq) {
      this.usage.skipTo(committed);
    } else {
      // Dispatching is idempotent: a retry whose first try committed reports the notices again.
      written = segment.notices?.map((n) => n.id) ?? [];
      this.usage.flushed(segment.seq);
    }
    this.persistUsage();
    return written;
  }

  private persistUsage() {
    this.kv.put(`${BASE}usage`, this.usage.toStorage());
  }
}
