import { writeUsageBatch } from "../db/usage-batch";
import type { Bindings } from "../env";
import type { UsageWriter } from "./flush";

/** Usage aggregators when USAGE_AGGREGATORS is unset. */
export const DEFAULT_USAGE_AGGREGATORS = 8;

/** USAGE_AGGREGATORS as a count: 0 writes each flush directly (one batch per key). */
export function aggregatorCount(env: Pick<Bindings, "USAGE_AGGREGATORS">): number {
  const n = Number(env.USAGE_AGGREGATORS ?? DEFAULT_USAGE_AGGREGATORS);
  return Number.isInteger(n) && n >= 0 ? n : DEFAULT_USAGE_AGGREGATORS;
}

/** FNV-1a: stable across isolates and deploys, so a key always meets the same aggregator (while the count stays). */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The aggregator a key's flushes go to: `usage:<hash(key id) mod n>`. */
export const aggregatorName = (keyId: string, n: number) => `usage:${hash(keyId) % n}`;

/**
 * Where a key's usage flush goes (./flush.ts): its aggregator (./aggregator.ts), or, with
 * USAGE_AGGREGATORS=0, D1 directly through the same multi-row write.
 */
export function usageWriterFor(env: Bindings, keyId: string): UsageWriter {
  const n = aggregatorCount(env);
  if (n === 0) return async (entry) => (await writeUsageBatch(env.DB, [entry]))[0]!;
  const ns = env.USAGE_AGGREGATOR;
  return (entry) => ns.get(ns.idFromName(aggregatorName(keyId, n))).submit(entry);
}
