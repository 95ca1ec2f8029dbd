import { DurableObject } from "cloudflare:workers";
import { writeUsageBatch, type UsageCommit, type UsageEntry } from "../db/usage-batch";
import type { Bindings } from "../env";
import { DEFAULT_BATCH_LIMITS, UsageBatcher } from "./batcher";

/**
 * A usage aggregator (`usage:<n>`, ./submit.ts): gathers the usage flushes of the keys that hash
 * to it for a short window and writes them to D1 together (./batcher.ts), so D1's writes per
 * second depend on the number of aggregators, not of keys. It stores nothing: an error or an
 * eviction mid-batch reaches every submitter as an error, and each retries its flush with the
 * same sequence number, as after a failed D1 batch.
 */
export class UsageAggregator extends DurableObject<Bindings> {
  private readonly batcher: UsageBatcher;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    const windowMs = Number(env.USAGE_BATCH_MS ?? DEFAULT_BATCH_LIMITS.windowMs);
    const limits = { ...DEFAULT_BATCH_LIMITS, windowMs: Number.isFinite(windowMs) && windowMs >= 0 ? windowMs : DEFAULT_BATCH_LIMITS.windowMs };
    this.batcher = new UsageBatcher((entries) => writeUsageBatch(env.DB, entries, "aggregator"), limits);
  }

  /** One key's flush: resolves once D1 holds it (or a later one), with what D1 holds for the key. */
  submit(entry: UsageEntry): Promise<UsageCommit> {
    return this.batcher.submit(entry);
  }
}
