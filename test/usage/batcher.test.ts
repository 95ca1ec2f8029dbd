import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { writeUsageBatch, type UsageEntry } from "../../src/db/usage-batch";
import { GRANULARITIES, OUTCOMES, bucketStart, type UsageOutcome } from "../../src/usage/buckets";
import { UsageBatcher } from "../../src/usage/batcher";
import { flushUsage } from "../../src/usage/flush";
import { UsageTally } from "../../src/usage/tally";
import { createKey, createPartner, env } from "../helpers";

const T0 = Date.parse("2026-11-27T10:00:00Z");
// No timer decides anything here: each test drains the batcher itself.
const BY_HAND = { windowMs: 3_600_000, maxEntries: 500, maxBytes: 1_000_000 };

type Fault = "none" | "before" | "after";

/** The real D1 binding; while `fault` is set, each batch fails before reaching D1, or commits and loses its answer. */
function faultyD1() {
  const control = { fault: "none" as Fault, batches: [] as number[] };
  const db = new Proxy(env.DB, {
    get(target, name) {
      if (name !== "batch") return Reflect.get(target, name).bind(target);
      return async (statements: D1PreparedStatement[]) => {
        control.batches.push(statements.length);
        if (control.fault === "before") throw new Error("D1 unavailable");
        const results = await target.batch(statements);
        if (control.fault === "after") throw new Error("network: the answer was lost");
        return results;
      };
    },
  });
  return { db, control };
}

/** A batcher over `db` that records the keys of each batch it writes. */
function recordingBatcher(db: D1Database) {
  const written: string[][] = [];
  const batcher = new UsageBatcher(async (entries: UsageEntry[]) => {
    written.push(entries.map((e) => e.keyId));
    return writeUsageBatch(db, entries, "test");
  }, BY_HAND);
  return { batcher, written };
}

async function drainAll(batcher: UsageBatcher) {
  while (batcher.pending > 0) await batcher.drain();
}

let keyIds: string[] = [];
beforeAll(async () => {
  const partner = await createPartner();
  for (let i = 0; i < 4; i++) keyIds.push((await createKey(partner.id)).api_key.id);
});

async function resetUsage() {
  const ids = JSON.stringify(keyIds);
  await env.DB.batch([
    env.DB.prepare("DELETE FROM usage_buckets WHERE key_id IN (SELECT value FROM json_each(?1))").bind(ids),
    env.DB.prepare("UPDATE api_keys SET usage_seq = 0 WHERE id IN (SELECT value FROM json_each(?1))").bind(ids),
  ]);
}

async function storedRows(): Promise<Map<string, number[]>> {
  const { results } = await env.DB.prepare(`SELECT key_id, granularity, start, ${OUTCOMES.join(", ")} FROM usage_buckets WHERE key_id IN (SELECT value FROM json_each(?1))`)
    .bind(JSON.stringify(keyIds))
    .all<Record<string, string | number>>();
  return new Map(results.map((r) => [`${r.key_id} ${r.granularity} ${r.start}`, OUTCOMES.map((o) => Number(r[o]))]));
}

const stateOf = (keyId: string) => ({ keyId, partnerId: undefined, usedAt: T0, credits: null });

describe("the usage batcher (an aggregator's group commit)", () => {
  it("never puts two flushes of one key in a batch: the second waits for the next", async () => {
    await resetUsage();
    const { batcher, written } = recordingBatcher(env.DB);
    const [a, b] = keyIds as [string, string];
    const tallies = [new UsageTally(), new UsageTally()];
    tallies.forEach((t) => t.count(T0, "admitted"));
    // The same segment of `a` twice (an alarm and a hand-off overlapping), and `b` once.
    const flushes = [flushUsage(batcher.submit.bind(batcher), stateOf(a), tallies[0]!, () => {}), flushUsage(batcher.submit.bind(batcher), stateOf(b), tallies[1]!, () => {}), flushUsage(batcher.submit.bind(batcher), stateOf(a), tallies[0]!, () => {})];
    await drainAll(batcher);
    await Promise.all(flushes);
    expect(written).toEqual([[a, b], [a]]);
    expect([...(await storedRows()).values()].map((counts) => counts[0]), "each counted once").toEqual([1, 1, 1, 1, 1, 1]);
  });

  it("resolves each submitter with its own key's result, and after a failed D1 batch every submitter retries with nothing lost or doubled", async () => {
    await resetUsage();
    await env.DB.prepare("UPDATE api_keys SET usage_seq = 4 WHERE id = ?1").bind(keyIds[3]).run();
    const { db, control } = faultyD1();
    const { batcher, written } = recordingBatcher(db);
    const submit = batcher.submit.bind(batcher);
    const entries = keyIds.map((keyId, i) => ({ keyId, usedAt: null, credits: null, refilledAt: null, seq: i + 1, buckets: [], notices: [] }));
    const answers = entries.map((e) => submit(e));
    await drainAll(batcher);
    expect(await Promise.all(answers), "one batch, each its own answer").toEqual(keyIds.map((keyId, i) => ({ keyId, seq: i === 3 ? 4 : i + 1 })));
    expect(written).toHaveLength(1);

    await resetUsage();
    const tallies = keyIds.map(() => new UsageTally());
    tallies.forEach((t, i) => t.count(T0, "admitted", i + 1));
    for (const fault of ["before", "after"] as const) {
      control.fault = fault;
      // Settled from the start: a rejection must have its handler before the drain makes it.
      const flushes = Promise.allSettled(keyIds.map((id, i) => flushUsage(submit, stateOf(id), tallies[i]!, () => {})));
      await drainAll(batcher);
      for (const result of await flushes) expect(result.status, fault).toBe("rejected");
      expect(tallies.every((t) => t.hasPending), "every segment stays in flight").toBe(true);
    }
    control.fault = "none";
    const flushes = keyIds.map((id, i) => flushUsage(submit, stateOf(id), tallies[i]!, () => {}));
    await drainAll(batcher);
    await Promise.all(flushes);
    expect(control.batches, "one batch of the four keys per try, each of five statements").toEqual([5, 5, 5, 5]);
    expect(tallies.some((t) => t.hasPending)).toBe(false);
    const minutes = [...(await storedRows())].filter(([k]) => k.includes(" minute ")).map(([k, counts]) => [k.split(" ")[0], counts[0]]);
    expect(minutes.sort()).toEqual(keyIds.map((id, i) => [id, i + 1]).sort());
  });

  it("gets D1's buckets to the exact sum of every count, whatever the interleaving of counts, duplicate flushes and failed batches", async () => {
    const outcome = fc.constantFrom(...OUTCOMES);
    const step = fc.oneof(
      fc.record({ kind: fc.constant("count" as const), key: fc.nat(3), minute: fc.nat(3 * 60), outcome, n: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ kind: fc.constant("flush" as const), keys: fc.array(fc.nat(3), { minLength: 1, maxLength: 6 }), fault: fc.constantFrom<Fault>("none", "none", "before", "after") }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 25 }), async (steps) => {
        await resetUsage();
        const { db, control } = faultyD1();
        const { batcher } = recordingBatcher(db);
        const submit = batcher.submit.bind(batcher);
        const tallies = keyIds.map(() => new UsageTally());
        const expected = new Map<string, number[]>();
        const add = (key: string, at: number, o: UsageOutcome, n: number) => {
          for (const g of GRANULARITIES) {
            const id = `${key} ${g} ${new Date(bucketStart(at, g)).toISOString()}`;
            const counts = expected.get(id) ?? expected.set(id, [0, 0, 0, 0]).get(id)!;
            counts[OUTCOMES.indexOf(o)]! += n;
          }
        };
        const flush = async (keys: number[]) => {
          const flushes = Promise.allSettled(keys.map((k) => flushUsage(submit, stateOf(keyIds[k]!), tallies[k]!, () => {})));
          await drainAll(batcher);
          await flushes;
        };
        for (const s of steps) {
          if (s.kind === "count") {
            tallies[s.key]!.count(T0 + s.minute * 60_000, s.outcome, s.n);
            add(keyIds[s.key]!, T0 + s.minute * 60_000, s.outcome, s.n);
          } else {
            control.fault = s.fault;
            await flush(s.keys);
          }
        }
        control.fault = "none";
        for (let i = 0; i < 3 && tallies.some((t) => t.hasPending); i++) await flush([0, 1, 2, 3]);
        expect(tallies.some((t) => t.hasPending)).toBe(false);
        expect(await storedRows()).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });
});
