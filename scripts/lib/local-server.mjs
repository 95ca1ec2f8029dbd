// Starting and talking to a local `wrangler dev`, shared by `npm run dev` and the scripts under scripts/.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

export const wranglerEnv = { ...process.env, WRANGLER_SEND_METRICS: "false" };

/** A value from .dev.vars, the local secrets file. */
export function devVar(name) {
  const line = readFileSync(new URL("../../.dev.vars", import.meta.url), "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${name}=`));
  return line?.slice(name.length + 1).trim();
}

/**
 * Brings the local D1 up to date with `wrangler d1 migrations apply DB --local`: on fresh state it
 * creates the whole schema, on existing state it runs only the migrations not yet recorded in
 * d1_migrations (state made by the old `--file schema.sql` path included: 0001 is idempotent), so
 * local data is never wiped. `persistTo` selects a separate local state directory (wrangler's
 * `--persist-to`). Runs without a TTY, so wrangler takes "yes" for its confirmation prompt.
 * Returns the names of the migrations it applied (empty when already up to date).
 */
export function applyMigrations(persistTo) {
  const where = persistTo ? ["--persist-to", persistTo] : [];
  const result = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--local", ...where], {
    env: wranglerEnv,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
  if (result.status !== 0) throw new Error(`applying the D1 migrations failed:\n${output}${result.error ?? ""}`);
  // wrangler redraws its progress table as each migration finishes: each name once, in order.
  return [...new Set([...output.matchAll(/(\S+\.sql)\s*│\s*✅/g)].map((m) => m[1]))];
}

/** The former name of applyMigrations, kept for existing callers: schema.sql itself is no longer executed. */
export const applySchema = applyMigrations;

/** The local state directory `wrangler dev` would use given these arguments (`--persist-to`), else its default. */
export function persistDir(args = []) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--persist-to" && args[i + 1]) return args[i + 1];
    if (args[i].startsWith("--persist-to=")) return args[i].slice("--persist-to=".length);
  }
  return ".wrangler/state";
}

/** Starts `wrangler dev` on `port` with extra `--var`s; the caller owns the child process. */
export function startWrangler(port, { vars = {}, stdio = "inherit", extraArgs = [] } = {}) {
  const args = ["dev", "--port", String(port), ...extraArgs];
  for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
  return spawn("wrangler", args, { env: wranglerEnv, stdio, detached: stdio !== "inherit" });
}

export async function isHealthy(base) {
  try {
    return (await fetch(`${base}/healthz`)).ok;
  } catch {
    return false;
  }
}

export async function waitForHealthy(base, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await isHealthy(base)) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`wrangler dev did not answer on ${base} within ${timeoutMs / 1000} s`);
}

/** A client for the operator API of the server at `base`. */
export function operatorClient(base, adminToken = devVar("ADMIN_TOKEN")) {
  return async function api(path, { method = "GET", body, auth = adminToken, headers = {} } = {}) {
    const res = await fetch(base + path, {
      method: body !== undefined && method === "GET" ? "POST" : method,
      headers: { authorization: `Bearer ${auth}`, "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, body: json };
  };
}

/** A port nothing listens on now: each browser test runs its own `wrangler dev` beside the others. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
