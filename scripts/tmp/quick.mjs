import { rmSync } from "node:fs";
import autocannon from "autocannon";
import { applySchema, operatorClient, startWrangler, waitForHealthy } from "../lib/local-server.mjs";
const port = 8795, base = `http://127.0.0.1:${port}`, state = `.wrangler/quick-${port}`;
rmSync(state, { recursive: true, force: true }); applySchema(state);
const vars = { RATE_LIMIT_TIERS: JSON.stringify({ standard: { limit: 1e9, window_seconds: 60 }, premium: { limit: 1e9, window_seconds: 60 } }), SERVER_TIMING: "on", REQUEST_LOG: "all", ...JSON.parse(process.env.QVARS ?? "{}") };
const child = startWrangler(port, { vars, stdio: "ignore", extraArgs: ["--ip", "127.0.0.1", "--persist-to", state] });
process.on("exit", () => process.kill(-child.pid, "SIGTERM"));
await waitForHealthy(base);
const api = operatorClient(base);
const p = await api("/v1/partners", { body: { slug: `q-${Date.now()}`, name: "Q", contact_email: "q@q.example", website_url: "https://q.example" } });
const key = (await api(`/v1/partners/${p.body.id}/keys`, { body: { name: "q", type: "secret", scopes: [] } })).body.key;
const run = (o) => new Promise((res, rej) => autocannon({ connections: 32, duration: 8, ...o }, (e, r) => (e ? rej(e) : res(r))));
const h = { authorization: `Bearer ${key}` };
await run({ url: `${base}/v1/me/key`, headers: h, duration: 3 });
const paths = (process.env.QPATHS ?? "/healthz,/v1/me/key").split(",");
for (let round = 0; round < 2; round++) for (const path of paths) {
  const r = await run({ url: base + path, headers: h });
  console.log(path, Math.round(r.requests.average), JSON.stringify(Object.keys(r.statusCodeStats)));
}
process.exit(0);
