import type { Bindings } from "../env";
import { newAuditEventId } from "../lib/ids";
import type { PendingNotice, UsageTally } from "../usage/tally";

/** As stored in the key guard's storage (`notices`). */
export interface StoredNoticeState {
  /** The balance credits.low is measured against; absent while unknown, null for unlimited. */
  base?: number | null;
  /** credits.low notices written since `base` was set: 1 at the threshold, 2 at 0. */
  stage: number;
  /** Per limit name: when its last rate_limit.exceeded was decided (ms) and its window. */
  exceeded: Record<string, { at: number; windowMs: number }>;
}

/** The limit that refused a request, as rate_limit.exceeded names it (DESIGN §10: a tier's limits are named). */
export interface RefusingLimit {
  name: string;
  limit: number;
  window_seconds: number;
}

/** credits.low fires at or under this share of the balance the operator last set (DESIGN §8). */
const LOW_SHARE = 10;

/**
 * What a key's guard must remember to decide its notices (DESIGN §8) without a storage call of
 * their own: `credits.low` once per crossing of 10% of the operator's balance and once at 0, and
 * `rate_limit.exceeded` at most once per limit and window. Decisions are made in memory; the guard
 * persists `toStorage()` with its write-behind counters whenever `dirty`. Each notice is queued on
 * the guard's usage tally, which writes it to D1 with the next usage flush (at most a minute
 * later, then dispatched): the admission that decided it is counted anyway, so the tally's
 * write-behind put and the flush's alarm are already on their way.
 *
 * Both rules are level-triggered (the balance is at or under the threshold, the window refused),
 * so a crash that forgets a decision before it is written only defers the notice to the next
 * request that meets the rule.
 */
export class GuardNotices {
  private state: StoredNoticeState;
  /** Changed since the guard last wrote it. */
  dirty = false;

  constructor(
    stored: StoredNoticeState | undefined,
    private readonly tally: Pick<UsageTally, "notify">,
  ) {
    this.state = stored ?? { stage: 0, exceeded: {} };
  }

  toStorage(): StoredNoticeState {
    this.dirty = false;
    return this.state;
  }

  /** The operator set the balance: it is the new base, and the notices are owed again. */
  creditsSet(balance: number | null): void {
    this.state = { ...this.state, base: balance, stage: 0 };
    this.dirty = true;
  }

  /**
   * `cost` was just spent, leaving `credits`: queues credits.low if that crossed a stage. A guard that never saw the operator's balance (its
   * storage predates this, or was lost) takes the balance before this spend as the base: the best
   * it knows, and never a reason to fire at once.
   */
  spent(credits: number, cost: number, now: number): PendingNotice | null {
    if (this.state.base === undefined) {
      this.state.base = credits + cost;
      this.dirty = true;
    }
    const base = this.state.base;
    if (base === null || base <= 0 || cost <= 0) return null;
    // Credits are integers: "at or under 10%" is at or under its floor.
    const threshold = Math.floor(base / LOW_SHARE);
    const stage = credits <= 0 ? 2 : credits <= threshold ? 1 : 0;
    // One spend that crosses both the threshold and 0 yields one notice, at 0.
    if (stage <= this.state.stage) return null;
    this.state.stage = stage;
    this.dirty = true;
    return this.queue("credits.low", now, { credits_remaining: credits, threshold });
  }

  /** `limit` refused a request: queues rate_limit.exceeded unless one was, for it, less than a window ago. */
  refused(limit: RefusingLimit, now: number): PendingNotice | null {
    const windowMs = limit.window_seconds * 1000;
    const last = this.state.exceeded[limit.name];
    if (last && now - last.at < Math.min(last.windowMs, windowMs)) return null;
    // Entries whose window has passed decide nothing any more: the map holds only live ones.
    const exceeded = Object.fromEntries(Object.entries(this.state.exceeded).filter(([, e]) => now - e.at < e.windowMs));
    this.state.exceeded = { ...exceeded, [limit.name]: { at: now, windowMs } };
    this.dirty = true;
    return this.queue("rate_limit.exceeded", now, { limit: limit.limit, window_seconds: limit.window_seconds, name: limit.name });
  }

  private queue(type: PendingNotice["type"], at: number, data: PendingNotice["data"]): PendingNotice {
    const notice = { id: newAuditEventId(), type, at, data };
    this.tally.notify(notice);
    return notice;
  }
}

type NoticeSender = (env: Bindings, ids: readonly string[]) => Promise<void>;
let sender: NoticeSender | undefined;

/**
 * Sets where the guard sends the notices its flush wrote: the Worker's entry (src/index.ts) sets
 * `dispatchEvents`, since the limiter may not import events/ (whose reactions import the limiter).
 * Unset, nothing is lost: the cron sweep sends every event left undispatched.
 */
export function sendNoticesWith(send: NoticeSender): void {
  sender = send;
}

/** Puts written notices on the queue for their webhooks (best effort, see `sendNoticesWith`). */
export async function sendNotices(env: Bindings, ids: readonly string[]): Promise<void> {
  if (sender && ids.length > 0) await sender(env, ids);
}
