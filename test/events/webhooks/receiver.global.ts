import { createServer, type Server } from "node:http";
import type { TestProject } from "vitest/node";

/**
 * A webhook receiver on loopback for the workers tests (vitest global setup, in Node): the Worker
 * under test POSTs to it through its real outbound fetch. Each path is its own receiver:
 * `/hooks/<name>?fail=<n>` answers 500 to its first n deliveries, then 204; `/redirect` answers 302.
 * `GET /__received?path=<path>` lists what that path received (headers and raw body).
 */
interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  status: number;
}

let server: Server;

export async function setup(project: TestProject) {
  const received = new Map<string, Received[]>();
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method === "GET" && url.pathname === "/__received") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(received.get(url.searchParams.get("path") ?? "") ?? []));
      return;
    }
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const list = received.get(url.pathname) ?? [];
      const fail = Number(url.searchParams.get("fail") ?? 0);
      const status = url.pathname === "/redirect" ? 302 : list.length < fail ? 500 : 204;
      list.push({ path: url.pathname, headers: req.headers as Record<string, string>, body, status });
      received.set(url.pathname, list);
      if (status === 302) res.setHeader("location", "http://127.0.0.1:9/elsewhere");
      res.statusCode = status;
      res.end(status === 500 ? "receiver says no ".repeat(40) : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the receiver has no port");
  project.provide("webhookReceiver", `http://127.0.0.1:${address.port}`);
}

export async function teardown() {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

declare module "vitest" {
  export interface ProvidedContext {
    webhookReceiver: string;
  }
}
