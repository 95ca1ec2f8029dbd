import type { HandedBudget } from "./policy";

/**
 * The versioned hand-over of a key's budget between its own guard and its partner's pool (DESIGN
 * §10, ./key-guard.ts, ./partner-pool.ts). The object that should decide a key under partner
 * version W takes the budget from the other with `handOff(key, partner at W)`.
 *
 * Why not blockConcurrencyWhile around the take: it would also hold the other object's `handOff`
 * to this one. When the partner flips pooling twice within one take, each object takes for the
 * version it read and waits for the other, which can then never answer: both hang until the
 * runtime resets them. So a take never blocks the object; only that key's admissions wait at the
 * gate (`pending`), and a `handOff` asked of an object that is itself taking is decided by version:
 *
 * - for an older version than its own take (or a tie, which pooling rules out): `superseded`: it
 *   gives nothing and keeps its budget, and the caller's take fails; its request is answered
 *   `stale`, its caller reloads the newer record and goes to this object;
 * - for a newer one: it first lets its own take end, then releases what it holds, as usual. Its
 *   own take is asked of the other object, which is taking for that newer version and so answers
 *   `superseded` at once: the wait always ends (versions only go down along a chain of waits).
 *
 * Not taking, an object supersedes an older version only if its side decides the key at the newer
 * version it knows (the guard while unpooled, the pool while pooled); otherwise it releases as
 * ever. So for any partner version exactly one object holds the live budget; it moves whole, with
 * no spend in between (the giver learns the newer version first, so its callers are stale), and
 * never back to an older version: credits are neither duplicated nor lost, and the usage sequence
 * only moves forward.
 */

/** A `handOff` answer that refuses: the answering object takes or decides the key for a newer partner version. */
export interface Superseded {
  /** That newer partner version. */
  superseded: number;
}

/** What `handOff` gives: the key's budget, null when the object holds none, or a refusal. */
export type HandOffAnswer = HandedBudget | null | Superseded;

/** Whether a `handOff` answer refused (the caller's take fails; its request is stale). */
export const isSuperseded = (answer: HandOffAnswer): answer is Superseded => answer !== null && "superseded" in answer;

/** How one load of a key ended: current, the key not found, or the caller's record outdated (reload it). */
export type Loaded = "loaded" | "unknown" | "stale";

/** Where an object stands on a key when it is not taking: the partner version it knows, and whether its side decides the key there. */
export interface Standing {
  version: number;
  decides: boolean;
}

/** One key's hand-over state inside one object: the gate of its loads and the version of its take in flight. */
export class HandOver {
  private gate: Promise<void> | undefined;
  private taking: number | undefined;

  /** While a load (and maybe a take) of the key runs: admissions of the key wait for it, then look again. */
  get pending(): Promise<void> | undefined {
    return this.gate;
  }

  /** Resolves once no load of the key is running; at once (no await) when none is. */
  async settled(): Promise<void> {
    while (this.gate) await this.gate;
  }

  /**
   * Runs `load` once every load before it ended, with admissions gated until it ends. It starts in
   * the same turn when nothing runs, so a caller that checked its state synchronously and found it
   * needs a load cannot race another one. `load` calls `taking(version)` just before it asks the
   * other object, so a `handOff` arriving meanwhile is answered by version (`answer`).
   */
  async run<T>(load: (taking: (version: number) => void) => Promise<T>): Promise<T> {
    while (this.gate) await this.gate;
    const running = load((version) => (this.taking = version));
    const gate: Promise<void> = running.then(
      () => this.ended(gate),
      () => this.ended(gate),
    );
    this.gate = gate;
    return running;
  }

  private ended(gate: Promise<void>) {
    if (this.gate !== gate) return;
    this.gate = undefined;
    this.taking = undefined;
  }

  /**
   * How to answer the other object's `handOff` for partner `version` (see the rule above): the
   * refusal, or null to release, once this object's own take, if older, has ended. `standing` is
   * read after that wait, the take having maybe moved it.
   */
  async answer(version: number, standing: () => Standing): Promise<Superseded | null> {
    for (let taking = this.taking; taking !== undefined; taking = this.taking) {
      if (version <= taking) return { superseded: taking };
      await this.gate;
    }
    const { version: known, decides } = standing();
    return decides && version < known ? { superseded: known } : null;
  }
}
