import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Bindings } from "../../src/env";
import worker from "../../src/index";

export interface Faults {
  /** `down`: every D1 call throws; `batch`: reads work, and every batch fails inside its transaction. */
  d1?: "down" | "batch";
  kv?: "down";
  do?: "down";
  /** The `EVENTS` queue refuses sends, so only the outbox sweep can finish a failed reaction. */
  queue?: "down";
}

const unavailable = (what: string) => () => Promise.reject(new Error(`${what} unavailable (injected)`));

// Like a real outage: statements prepare fine and fail when they run.
const deadStatement = (): D1PreparedStatement =>
  new Proxy({} as D1PreparedStatement, {
    get: (_, prop) => (prop === "bind" ? () => deadStatement() : () => Promise.reject(new Error("D1 unavailable (injected)"))),
  });

function faultyD1(db: D1Database, mode: NonNullable<Faults["d1"]>): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (mode === "down") return prop === "prepare" ? () => deadStatement() : () => Promise.reject(new Error("D1 unavailable (injected)"));
      if (prop === "batch") {
        // Runs the real batch with a statement that fails last: D1 must roll back all of it.
        return (statements: D1PreparedStatement[]) => target.batch([...statements, target.prepare("INSERT INTO no_such_table VALUES (1)")]);
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** The real bindings behind a thin wrapper that makes the chosen ones fail. */
export function faultyEnv(faults: Faults, vars: Partial<Bindings> = {}): Bindings {
  const real = env as unknown as Bindings;
  return {
    ...real,
    ...vars,
    DB: faults.d1 ? faultyD1(real.DB, faults.d1) : real.DB,
    KEY_CACHE: faults.kv ? (new Proxy(real.KEY_CACHE, { get: () => unavailable("KV") }) as KVNamespace) : real.KEY_CACHE,
    KEY_GUARD: faults.do
      ? (new Proxy(real.KEY_GUARD, {
          get(target, prop) {
            if (prop === "get") return () => new Proxy({}, { get: () => unavailable("Durable Object") });
            const value = Reflect.get(target, prop, target);
            return typeof value === "function" ? value.bind(target) : value;
          },
        }) as Bindings["KEY_GUARD"])
      : real.KEY_GUARD,
    EVENTS: faults.queue ? (new Proxy(real.EVENTS, { get: () => unavailable("Queue") }) as Queue) : real.EVENTS,
  };
}

/** One request through the Worker with faulty bindings. */
export async function callWith(
  faults: Faults,
  path: string,
  init: { method?: string; auth?: string; body?: unknown; vars?: Partial<Bindings>; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.auth) headers.authorization = `Bearer ${init.auth}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`http://keyward.test${path}`, {
      method: init.method ?? (init.body !== undefined ? "POST" : "GET"),
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    }),
    faultyEnv(faults, init.vars),
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
}
