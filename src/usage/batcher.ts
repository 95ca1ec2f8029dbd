import type { UsageCommit, UsageEntry } from "../db/usage-batch";

/** When a usage aggregator writes what it gathered. */
export interface BatchLimits {
  /** How long the first entry of a batch waits for others (ms). */
  windowMs: number;
  /** A batch holding this many entries is written at once. */
  maxEntries: number;
  /** ... or this many characters of entry JSON (D1 caps a statement's size; stay well under it). */
  maxBytes: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = { windowMs: 1_000, maxEntries: 500, maxBytes: 1_000_000 };

interface Waiting {
  entry: UsageEntry;
  size: number;
  resolve: (commit: UsageCommit) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit of usage flushes: entries submitted within a window are written with one call of
 * `write` (one D1 batch), and each submitter gets its own key's answer, or the batch's error. It
 * holds nothing durable: a submitter that gets an error (or never an answer) retries with the
 * same sequence number, which the write recognises. One write at a time: entries arriving
 * meanwhile form the next batch, so the writes per second stay bounded by the window (or the
 * size cap) whatever the number of keys. A second entry of a key already in the batch waits for
 * the next one (the write judges each key's segment against one `usage_seq`).
 */
export class UsageBatcher {
  private waiting: Waiting[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing = false;

  constructor(
    private readonly write: (entries: UsageEntry[]) => Promise<UsageCommit[]>,
    private readonly limits: BatchLimits = DEFAULT_BATCH_LIMITS,
  ) {}

  /** Resolves once D1 committed the batch holding `entry`, with what D1 then holds for its key. */
  submit(entry: UsageEntry): Promise<UsageCommit> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ entry, size: JSON.stringify(entry).length, resolve, reject });
      this.schedule();
    });
  }

  /** Entries waiting (not yet in a write). */
  get pending(): number {
    return this.waiting.length;
  }

  /** Writes the next batch now (the window's timer, a full batch, or a test). */
  async drain(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.writing) return;
    const batch = this.take();
    if (batch.length === 0) return;
    this.writing = true;
    try {
      const commits = await this.write(batch.map((w) => w.entry));
      const byKey = new Map(commits.map((c) => [c.keyId, c]));
      for (const w of batch) w.resolve(byKey.get(w.entry.keyId) ?? { keyId: w.entry.keyId, seq: null });
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      this.writing = false;
      this.schedule();
    }
  }

  private schedule() {
    if (this.writing || this.waiting.length === 0) return;
    if (this.full()) void this.drain();
    else this.timer ??= setTimeout(() => void this.drain(), this.limits.windowMs);
  }

  private full(): boolean {
    let bytes = 0;
    for (const w of this.waiting) bytes += w.size;
    return this.waiting.length >= this.limits.maxEntries || bytes >= this.limits.maxBytes;
  }

  /** The next batch, oldest first: one entry per key, within the caps (always at least one). */
  private take(): Waiting[] {
    const batch: Waiting[] = [];
    const rest: Waiting[] = [];
    const keys = new Set<string>();
    let bytes = 0;
    for (const w of this.waiting) {
      const fits = batch.length === 0 || (batch.length < this.limits.maxEntries && bytes + w.size <= this.limits.maxBytes);
      if (fits && !keys.has(w.entry.keyId)) {
        batch.push(w);
        keys.add(w.entry.keyId);
        bytes += w.size;
      } else {
        rest.push(w);
      }
    }
    this.waiting = rest;
    return batch;
  }
}
