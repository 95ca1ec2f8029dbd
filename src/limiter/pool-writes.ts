import type { MultiWindow } from "./multi-window";
import type { PoolSlot } from "./pool-slot";
import { bucketKey } from "./stored-window";

const UNCONFIRMED = { allowUnconfirmed: true } as const;

/**
 * A pool's write-behind (./partner-pool.ts), as the key guard's (KeyGuardCore.writeSoon): the
 * window counts and each touched slot's last use, usage and notices are put unconfirmed on the
 * next tick, one write for every admission queued meanwhile. Credits never go this way: every
 * change of a balance is a confirmed write (./guard-credits.ts).
 */
export class PoolWrites {
  /** Storage key → its current count, read when the write runs. */
  private readonly unwritten = new Map<string, () => number | undefined>();
  private readonly slots = new Set<PoolSlot>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    /** Whatever else the put carries (the pool's shared balance: ./pool-shared.ts). */
    private readonly more: () => Record<string, unknown> = () => ({}),
  ) {}

  /** The buckets an admission counted in one set of windows (by limit), stored under `base`; `windows` gives the set when the write runs. */
  counted(buckets: readonly number[] | undefined, base: string, windows: () => MultiWindow | null | undefined): void {
    buckets?.forEach((b, i) => this.unwritten.set(bucketKey(i, b, base), () => windows()?.windows[i]?.counts.get(b)));
  }

  /** A slot whose last use, usage or notices changed: written with the next put. */
  touched(slot: PoolSlot): void {
    this.slots.add(slot);
    this.timer ??= setTimeout(() => this.write(), 0);
  }

  /** Deletes the buckets of `windows` that fell out of them, and any pending write of theirs. */
  expire(windows: MultiWindow | null, base: string, now: number): void {
    const expired = windows?.expired(now).flatMap((indexes, slot) => indexes.map((index) => bucketKey(slot, index, base))) ?? [];
    if (expired.length === 0) return;
    for (const key of expired) this.unwritten.delete(key);
    void this.storage.delete(expired, UNCONFIRMED);
  }

  /** Drops pending counts under `prefix` (windows whose limits changed start afresh). */
  forget(prefix: string): void {
    for (const key of this.unwritten.keys()) if (key.startsWith(prefix)) this.unwritten.delete(key);
  }

  private write() {
    this.timer = undefined;
    const entries: Record<string, unknown> = {};
    for (const [key, read] of this.unwritten) {
      const n = read();
      if (n !== undefined) entries[key] = n;
    }
    this.unwritten.clear();
    for (const slot of this.slots) Object.assign(entries, slot.entries());
    this.slots.clear();
    Object.assign(entries, this.more());
    void this.storage.put(entries, UNCONFIRMED);
  }
}
