import type { Bindings } from "../env";

export type Storage = "d1" | "kv" | "do";

/** A storage call failed. Carries the cause's message, so D1 constraint checks still see it. */
export class StorageError extends Error {
  constructor(
    readonly storage: Storage,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "StorageError";
  }
}

/** Calls and time spent per storage while serving one request. */
export class StorageMetrics {
  readonly calls: Record<Storage, { count: number; ms: number }> = {
    d1: { count: 0, ms: 0 },
    kv: { count: 0, ms: 0 },
    do: { count: 0, ms: 0 },
  };

  async time<T>(storage: Storage, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } catch (err) {
      throw err instanceof StorageError ? err : new StorageError(storage, err);
    } finally {
      this.calls[storage].count++;
      this.calls[storage].ms += performance.now() - started;
    }
  }
}

type AnyFn = (...args: unknown[]) => unknown;
// Reflect.apply, never fn.apply/fn.bind: on an RPC stub those are looked up as remote methods.

/** Wraps every method of `target` so each call is timed as one call to `storage`. */
function timedMethods<T extends object>(target: T, storage: Storage, metrics: StorageMetrics, except: string[] = []): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver);
      if (typeof value !== "function" || except.includes(String(prop))) return value;
      return (...args: unknown[]) => metrics.time(storage, async () => Reflect.apply(value as AnyFn, obj, args));
    },
  });
}

// The real statement behind each wrapper, because D1's batch() accepts only real statements.
const realStatements = new WeakMap<object, D1PreparedStatement>();

function timedStatement(statement: D1PreparedStatement, metrics: StorageMetrics): D1PreparedStatement {
  const wrapped = new Proxy(statement, {
    get(obj, prop) {
      if (prop === "bind") return (...values: unknown[]) => timedStatement(obj.bind(...values), metrics);
      const value = Reflect.get(obj, prop, obj);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => metrics.time("d1", async () => Reflect.apply(value as AnyFn, obj, args));
    },
  });
  realStatements.set(wrapped, statement);
  return wrapped;
}

function timedD1(db: D1Database, metrics: StorageMetrics): D1Database {
  return new Proxy(db, {
    get(obj, prop) {
      if (prop === "prepare") return (sql: string) => timedStatement(obj.prepare(sql), metrics);
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) =>
          metrics.time("d1", () => obj.batch(statements.map((s) => realStatements.get(s) ?? s)));
      }
      const value = Reflect.get(obj, prop, obj);
      return typeof value === "function" ? (...args: unknown[]) => metrics.time("d1", async () => Reflect.apply(value as AnyFn, obj, args)) : value;
    },
  });
}

function timedDurableObjects<T extends DurableObjectNamespace<any>>(ns: T, metrics: StorageMetrics): T {
  return new Proxy(ns, {
    get(obj, prop) {
      const value = Reflect.get(obj, prop, obj);
      if (typeof value !== "function") return value;
      if (prop === "get" || prop === "getByName") {
        return (...args: unknown[]) => timedMethods(Reflect.apply(value as AnyFn, obj, args) as object, "do", metrics, ["id", "name"]);
      }
      return (...args: unknown[]) => Reflect.apply(value as AnyFn, obj, args);
    },
  });
}

/**
 * The same bindings, with every D1, KV and Durable Object call counted and timed into `metrics`
 * and every failure raised as a StorageError (a 503, not a 500).
 */
export function instrumentBindings(env: Bindings | undefined, metrics: StorageMetrics): Bindings {
  // A missing binding (a misconfigured deploy) fails where it is used, not on every request.
  const bindings = env ?? ({} as Bindings);
  // Every request passes here: the vars are inherited rather than copied, and each wrapper is
  // made when first used (a warm request touches none of the three).
  const wrapped = <T>(make: () => T): PropertyDescriptor => {
    let value: T | undefined;
    let made = false;
    return {
      enumerable: true,
      get: () => {
        if (!made) [value, made] = [make(), true];
        return value;
      },
    };
  };
  return Object.create(bindings, {
    DB: wrapped(() => bindings.DB && timedD1(bindings.DB, metrics)),
    KEY_CACHE: wrapped(() => bindings.KEY_CACHE && timedMethods(bindings.KEY_CACHE, "kv", metrics)),
    KEY_GUARD: wrapped(() => bindings.KEY_GUARD && timedDurableObjects(bindings.KEY_GUARD, metrics)),
  }) as Bindings;
}
