import { DurableObject } from "cloudflare:workers";
import { resolvedTier, type Limit } from "../config";
import { loadKeyAuthRecord, type KeyAuthRecord } from "../db/keys";
import type { Bindings } from "../env";
import { now as clockNow } from "../lib/clock";
import { isPooled, policyOf, policyRefusal, type CallerRefusal, type GuardPolicy, type AdmissionVerdict, type Lease, type LeaseRequest, type RecordVersion } from "./policy";
import type { MultiWindow } from "./multi-window";
import { bucketKey, sameLimits, storedWindows } from "./stored-window";
import { leaseFrom } from "./guard-leases";
import { GuardCredits } from "./guard-credits";
import { GuardNotices, sendNotices, type StoredNoticeState } from "./guard-notices";
import { outcomeOf, type Counts } from "../usage/buckets";
import { flushUsage, nextFlushAt } from "../usage/flush";
import { usageWriterFor } from "../usage/submit";
import { UsageTally, type StoredTally, type UsageSegment } from "../usage/tally";
import { HandOver, type Loaded } from "./hand-over";

/**
 * Admissions are written to this object's storage on the next timer tick: after the requests
 * already queued here, so one write carries all of them. 0 ms already gives the whole gain.
 */
const COUNTER_WRITE_MS = 0;

// Storage layout (SQLite-backed sync KV of this object):
//   policy         GuardPolicy: revocation, expiry, partner status, tier, record versions
//   credits, refilled_at, credits_seq   the balance and its refill schedule (./guard-credits.ts)
//   rl:meta, rl:b:<bucket>              the first limit's window: "limit/windowMs" it was counted under, and
//   rl:<k>:meta, rl:<k>:b:<bucket>      requests per bucket (written behind, next tick); k > 0: the tier's
//                                       further limits (./stored-window.ts)
//   used_at        ms of the last admitted request;   flushed_at: ms of the last D1 flush
//   leases_until   ms when the last lease granted to an isolate expires (opt-in leases only)
//   usage          StoredTally: usage counts and notices not yet in D1 (src/usage/tally.ts), written behind with rl:b:*
//   notices        StoredNoticeState: what credits.low and rate_limit.exceeded were decided on (./guard-notices.ts), ditto
const UNCONFIRMED = { allowUnconfirmed: true } as const;

/**
 * One instance per key id: the authority for everything that must be exact and immediate —
 * rate limiting, credits, revocation, expiry, partner suspension — and the batcher of usage
 * into D1. Requests reach it over RPC; every decision runs to completion without awaiting, so the
 * runtime's input gate makes each admission atomic (it may first wait for a load of the record in
 * flight, ./hand-over.ts, then decides on what that load found). The keys of a pooled partner
 * are decided by their partner's object instead: ./key-guard.ts, ./partner-pool.ts. This class
 * admits and flushes; how changes reach it (refresh, partnerChanged, hand-offs) is in
 * ./key-guard.ts.
 */
export abstract class KeyGuardCore extends DurableObject<Bindings> {
  protected policy: GuardPolicy | undefined;
  protected readonly credits: GuardCredits;
  /** One sliding window per limit of the key's tier (./multi-window.ts). */
  private windows: MultiWindow | undefined;
  /** When the last lease granted expires; mutations wait for it. */
  protected leasesUntil: number;
  /** When the pending usage flush fires; mirrored here so admissions never ask storage. */
  protected alarmAt: number | null = null;
  /** ms of the last admitted request (stored as `used_at`, written behind). */
  protected usedAt: number | undefined;
  /** Buckets counted since the last write (storage key → [slot, bucket]), and the timer that writes them. */
  private readonly unwritten = new Map<string, [number, number]>();
  private writeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Usage counts since the last flush (DESIGN §7), and the notices it will write. */
  protected readonly usage: UsageTally;
  protected readonly notices: GuardNotices;
  /** Loads of the key's record, and takes of its budget from its partner's pool, one at a time (./hand-over.ts). */
  protected readonly handOver = new HandOver();

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    const kv = ctx.storage.kv;
    this.policy = kv.get<GuardPolicy>("policy");
    this.credits = new GuardCredits(kv);
    this.leasesUntil = kv.get<number>("leases_until") ?? 0;
    this.usedAt = kv.get<number>("used_at");
    this.usage = UsageTally.from(kv.get<StoredTally>("usage"));
    this.notices = new GuardNotices(kv.get<StoredNoticeState>("notices"), this.usage);
    ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await ctx.storage.getAlarm();
      // Counts left unflushed by an earlier run (a crash, a failed flush) still reach D1.
      if (this.alarmAt === null && this.usage.hasPending) this.scheduleFlush(clockNow());
    });
  }

  /**
   * Decides one request of `cost` units for a caller holding the record at `version`. The caller
   * has already checked the allowlists against that record and passes any `refusal`: it is
   * returned only once the record is known current and the key otherwise usable, so a revoked
   * key is reported as revoked, and a refused request costs neither rate limit nor credits.
   */
  async admit(
    keyId: string,
    version: RecordVersion,
    cost = 1,
    refusal: CallerRefusal | null = null,
    lease: LeaseRequest | null = null,
    reported: Counts | null = null,
  ): Promise<AdmissionVerdict> {
    if (reported) this.report(reported);
    const verdict = await this.decide(keyId, version, cost, refusal, lease);
    // A check of cost 0 (an operator-only route's probe, a verify that only checks) is not a use.
    const outcome = cost > 0 ? outcomeOf(verdict.outcome) : null;
    if (outcome) this.counted((now) => this.usage.count(now, outcome));
    return verdict;
  }

  /** Counts an isolate decided alone (its remembered full window's 429s, its leased admissions). */
  report(counts: Counts): void {
    this.counted((now) => this.usage.add(now, counts));
  }

  /** Usage rides the write-behind counters and the minute flush: no storage call of its own. */
  private counted(count: (now: number) => void) {
    const now = clockNow();
    count(now);
    this.writeSoon();
    if (this.alarmAt === null) this.scheduleFlush(now);
  }

  /** Usage counts D1 may not hold yet, by flush sequence: the reader adds those D1 has not committed. */
  liveUsage(reported: Counts | null = null): UsageSegment[] {
    if (reported) this.report(reported);
    return this.usage.live();
  }

  private async decide(
    keyId: string,
    version: RecordVersion,
    cost: number,
    refusal: CallerRefusal | null,
    lease: LeaseRequest | null,
  ): Promise<AdmissionVerdict> {
    // A load is running, maybe taking the budget back: decide on what it finds, never on a half-taken budget.
    for (let gate = this.handOver.pending; gate; gate = this.handOver.pending) await gate;
    if (!this.policy || version.key > this.policy.keyVersion || version.partner > this.policy.partnerVersion) {
      // The guard's own copy is missing or older than the caller's: D1 is the truth.
      const loaded = await this.loadFromD1(keyId);
      if (loaded !== "loaded") return { outcome: loaded };
    }
    const policy = this.policy!;
    if (version.key < policy.keyVersion || version.partner < policy.partnerVersion) return { outcome: "stale" };
    const now = clockNow();
    const windows = this.windowsFor(resolvedTier(this.env, policy.tier).limits);
    const refuse = (outcome: Exclude<AdmissionVerdict["outcome"], "stale" | "unknown" | "ok">): AdmissionVerdict => ({
      outcome,
      ratelimit: windows.state(now),
      credits: this.credits.balance,
    });
    const refused = policyRefusal(policy, policy.partnerStatus, now, refusal);
    if (refused) return refuse(refused);
    // A refill due since the last request applies first (./refill.ts): once per boundary, since this runs atomically.
    const added = this.credits.refill(policy.refill, now);
    if (added !== null) {
      this.notices.creditsSet(this.credits.balance);
      this.counted((at) => this.usage.count(at, "credits_refilled", added));
    }
    const credits = this.credits.balance;
    if (credits !== null && credits < cost) return refuse("credits_exhausted");

    const storage = this.ctx.storage;
    const expired = windows.expired(now).flatMap((indexes, slot) => indexes.map((index) => bucketKey(slot, index)));
    if (expired.length > 0) {
      for (const key of expired) this.unwritten.delete(key);
      void storage.delete(expired, UNCONFIRMED);
    }
    // One decision over every limit: refused by any, the request is counted in none.
    const result = windows.tryAdmit(now, cost);
    if (!result.admitted) {
      for (const limit of result.refusing) this.notices.refused(limit, now);
      return { outcome: "rate_limited", ratelimit: result.state, credits, retryAt: result.admitsAt };
    }

    this.usedAt = now;
    this.writeSoon(result.buckets);
    // Credits are money: their write is confirmed before the reply leaves.
    this.credits.spend(cost);
    const left = this.credits.balance;
    if (left !== null) this.notices.spent(left, cost, now);
    const granted = lease && left === null ? this.grantLease(windows, policy, now, lease) : undefined;
    // After a lease the count includes its tokens; the isolate adds back those it has not spent.
    const ratelimit = granted ? windows.state(now) : result.state;
    return { outcome: "ok", ratelimit, credits: left, ...(granted ? { lease: granted } : {}) };
  }

  /** Leased tokens for the caller's isolate (./guard-leases.ts); keys with credits are never leased. */
  private grantLease(windows: MultiWindow, policy: GuardPolicy, now: number, asked: LeaseRequest): Lease | undefined {
    const granted = leaseFrom(windows, now, asked, policy.expiresAt);
    if (!granted) return undefined;
    const { tokens, expiresAt, buckets } = granted;
    this.writeSoon(buckets);
    if (expiresAt > this.leasesUntil) {
      this.leasesUntil = expiresAt;
      // Kept across a restart, so a mutation right after one still waits for leases granted before it.
      void this.ctx.storage.put("leases_until", expiresAt, UNCONFIRMED);
    }
    return { tokens, expiresAt };
  }

  /**
   * Counters and last use are written behind and unconfirmed, on the next timer tick: one SQLite
   * write then carries every admission queued meanwhile instead of one each (a write per request
   * cost a fifth of the hot path's throughput under load). Only a crash in those milliseconds
   * could forget them; an idle eviction never does, since the write fires first.
   */
  private writeSoon(buckets?: readonly number[]) {
    buckets?.forEach((bucket, slot) => this.unwritten.set(bucketKey(slot, bucket), [slot, bucket]));
    this.writeTimer ??= setTimeout(() => this.writeCounters(), COUNTER_WRITE_MS);
  }

  private writeCounters() {
    this.writeTimer = undefined;
    const entries: Record<string, unknown> = {};
    for (const [key, [slot, index]] of this.unwritten) {
      const n = this.windows?.windows[slot]?.counts.get(index);
      if (n !== undefined) entries[key] = n;
    }
    this.unwritten.clear();
    if (this.usedAt !== undefined) entries.used_at = this.usedAt;
    if (this.notices.dirty) entries.notices = this.notices.toStorage();
    void this.ctx.storage.put({ ...entries, usage: this.usage.toStorage() }, UNCONFIRMED);
  }

  /** Writes usage back to D1 (src/usage/flush.ts): at most once a minute per key, never once per request. */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const notices = await this.flushKey();
    if (notices === null) return;
    // Counts that arrived during the write go with the next flush.
    if (this.usage.hasPending && this.alarmAt === null) this.scheduleFlush(clockNow());
    await sendNotices(this.env, notices);
  }

  /** This key's usage flush: null when there was nothing to write, else the notices it wrote. */
  protected async flushKey(): Promise<string[] | null> {
    const policy = this.policy;
    if (!policy) return null;
    const { balance: credits, refilledAt } = this.credits;
    const state = { keyId: policy.keyId, partnerId: policy.partnerId, usedAt: this.usedAt, credits, refilledAt };
    const kv = this.ctx.storage.kv;
    const write = usageWriterFor(this.env, policy.keyId);
    const notices = await flushUsage(write, state, this.usage, () => kv.put("usage", this.usage.toStorage()), this.env.USAGE_ANALYTICS);
    if (notices !== null) kv.put("flushed_at", Date.now());
    return notices;
  }

  protected scheduleFlush(now: number) {
    this.alarmAt = nextFlushAt(this.env, now, this.ctx.storage.kv.get<number>("flushed_at") ?? 0);
    void this.ctx.storage.setAlarm(this.alarmAt);
  }

  /**
   * Reads the key's record from D1 and adopts it, after any load running and with the key's
   * admissions waiting meanwhile (./hand-over.ts). `stale` when the read is older than what this
   * guard knows (a lagging read: the caller's record is older still), or when taking the budget
   * back lost to a newer version.
   */
  protected loadFromD1(keyId: string): Promise<Loaded> {
    return this.handOver.run(async (taking) => {
      const record = await loadKeyAuthRecord(this.env.DB, keyId);
      if (!record) return "unknown";
      const current = this.policy;
      if (current && (record.key.version < current.keyVersion || record.partner.version < current.partnerVersion)) return "stale";
      // Back from its partner's pool: the pool holds the live budget (./key-guard.ts).
      if (current?.pooled && !isPooled(record.partner)) return this.takeBack(record, taking);
      this.setPolicy(policyOf(record));
      // A balance already held here is newer than D1's, which lags by up to one flush.
      if (!current) this.credits.load(record.key.credits_remaining, record.key.credits_refilled_at);
      return "loaded";
    });
  }

  /**
   * Takes the key's budget back from its partner's pool and adopts `record`; calls `taking` with the
   * partner version just before it asks the pool (./hand-over.ts).
   */
  protected abstract takeBack(record: KeyAuthRecord, taking: (version: number) => void): Promise<Loaded>;

  protected setPolicy(policy: GuardPolicy) {
    this.policy = policy;
    this.ctx.storage.kv.put("policy", policy);
  }

  private windowsFor(limits: readonly Limit[]): MultiWindow {
    if (sameLimits(this.windows, limits)) return this.windows!;
    const forget = (prefix: string) => {
      for (const key of this.unwritten.keys()) if (key.startsWith(prefix)) this.unwritten.delete(key);
    };
    return (this.windows = storedWindows(this.ctx.storage.kv, limits, this.windows, forget));
  }
}
