import { applyRefill, type CreditsRefill } from "./refill";

/** A balance the operator set, applied once per outbox event (by its `seq`). */
export interface OperatorCredits {
  /** The new balance (null = unlimited); absent when the change set only a refill. */
  balance?: number | null;
  /** ms when a refill the operator set starts its schedule; absent when no refill was set. */
  refilledAt?: number;
  seq: number;
}

/**
 * A guard's credit balance and refill schedule, in its storage:
 *
 *   credits       number | null (null = unlimited); authoritative once loaded from D1
 *   refilled_at   ms of the last refill (or when the operator set the refill); null: never
 *   credits_seq   outbox seq of the last operator-set balance applied (a retried event never re-applies it)
 *
 * Credits are money: every change is a confirmed write (the sync KV's put, which the output gate
 * holds the reply for), never written behind like the rate-limit counters.
 */
export class GuardCredits {
  private balanceNow: number | null;
  private refilledAtNow: number | null;

  /** @param base prefixes the storage keys (a pool's `p:` or `k:<id>:`, ./partner-pool.ts); "" in a key's guard. */
  constructor(
    private readonly kv: SyncKvStorage,
    private readonly base = "",
  ) {
    this.balanceNow = kv.get<number | null>(`${base}credits`) ?? null;
    this.refilledAtNow = kv.get<number | null>(`${base}refilled_at`) ?? null;
  }

  get balance(): number | null {
    return this.balanceNow;
  }

  get refilledAt(): number | null {
    return this.refilledAtNow;
  }

  /**
   * Takes a balance and refill time (ms, or an ISO string as D1 holds it) from D1 or from the object
   * that decided them until now: on first contact only, since a balance held here is newer than D1's.
   */
  load(balance: number | null, refilledAt: number | string | null): void {
    this.set(balance);
    this.setRefilledAt(typeof refilledAt === "string" ? Date.parse(refilledAt) : refilledAt);
  }

  /**
   * Tops the balance up if a refill boundary passed since the last one (./refill.ts); returns the
   * credits it added (0 for a balance already at or above the amount: the refill still applied),
   * null when none was due. Runs inside the guard's atomic decision, so concurrent requests at a
   * boundary see one refill.
   */
  refill(refill: CreditsRefill | null | undefined, now: number): number | null {
    const before = this.balanceNow;
    const applied = applyRefill(refill ?? null, before, this.refilledAtNow, now);
    if (!applied || before === null) return null;
    this.set(applied.balance);
    this.setRefilledAt(applied.refilledAt);
    return applied.balance - before;
  }

  /** Spends `cost` (the caller checked the balance holds it); a no-op for an unlimited balance. */
  spend(cost: number): void {
    if (this.balanceNow !== null) this.set(this.balanceNow - cost);
  }

  /** Applies what the operator set if its event is newer than the last applied; returns whether the balance changed. */
  fromOperator(change: OperatorCredits): boolean {
    if (change.seq <= (this.kv.get<number>(`${this.base}credits_seq`) ?? 0)) return false;
    this.kv.put(`${this.base}credits_seq`, change.seq);
    if (change.refilledAt !== undefined) this.setRefilledAt(change.refilledAt);
    if (change.balance === undefined) return false;
    this.set(change.balance);
    return true;
  }

  private set(balance: number | null) {
    this.balanceNow = balance;
    this.kv.put(`${this.base}credits`, balance);
  }

  private setRefilledAt(at: number | null) {
    this.refilledAtNow = at;
    this.kv.put(`${this.base}refilled_at`, at);
  }
}
