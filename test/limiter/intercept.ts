import { runInDurableObject } from "cloudflare:test";
import type { KeyGuard } from "../../src/limiter/key-guard";
import type { HandOffAnswer } from "../../src/limiter/hand-over";
import type { PartnerInfo } from "../../src/limiter/policy";

/**
 * The `handOff` calls one KeyGuard object makes to another (a pool taking a key's budget from the
 * key's guard, or the guard taking it back), seen and, when asked, held before they leave: so a
 * test can put two objects in the middle of their takes at once, in a known order, without timing
 * anything.
 */
export interface HandOffTap {
  /** How many handOff calls the object has sent (or is holding) so far. */
  readonly count: number;
  /** Resolves when the object has sent (or is holding) its `count`-th handOff, with its partner version. */
  sent(count?: number): Promise<number>;
  /** Holds every handOff from now on until `release` (already holding: no change). */
  hold(): void;
  release(): void;
  /** The answers the object got so far, in the order they came. */
  readonly answers: HandOffAnswer[];
}

/**
 * Replaces the `KEY_GUARD` binding the object behind `stub` calls others through with one whose
 * stubs report (and may hold) `handOff`. The objects read their binding at each call, so this
 * takes effect at once; it lasts as long as the object stays in memory (a test's lifetime).
 */
export async function tapHandOffs(stub: DurableObjectStub<KeyGuard>): Promise<HandOffTap> {
  const versions: number[] = [];
  const answers: HandOffAnswer[] = [];
  const waiting: { count: number; resolve: (v: number) => void }[] = [];
  let held: Promise<void> | null = null;
  let open: () => void = () => undefined;
  const saw = (version: number) => {
    versions.push(version);
    for (const w of waiting.splice(0)) {
      if (versions.length >= w.count) w.resolve(versions[w.count - 1]!);
      else waiting.push(w);
    }
  };
  await runInDurableObject(stub, (instance: KeyGuard) => {
    const self = instance as unknown as { env: Record<string, unknown> };
    const real = self.env.KEY_GUARD as DurableObjectNamespace<KeyGuard>;
    const namespace = {
      idFromName: (name: string) => real.idFromName(name),
      get: (id: DurableObjectId) => {
        const target = real.get(id);
        return new Proxy(target, {
          get(t, prop) {
            if (prop !== "handOff") return Reflect.get(t, prop);
            return async (keyId: string, partner: PartnerInfo) => {
              saw(partner.version);
              if (held) await held;
              const answer = (await t.handOff(keyId, partner)) as HandOffAnswer;
              answers.push(answer);
              return answer;
            };
          },
        });
      },
    };
    self.env = { ...self.env, KEY_GUARD: namespace };
  });
  return {
    answers,
    get count() {
      return versions.length;
    },
    sent: (count = 1) =>
      new Promise((resolve) => {
        if (versions.length >= count) resolve(versions[count - 1]!);
        else waiting.push({ count, resolve });
      }),
    hold: () => {
      held ??= new Promise((resolve) => (open = resolve));
    },
    release: () => {
      held = null;
      open();
    },
  };
}
