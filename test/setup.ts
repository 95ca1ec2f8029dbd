import { env } from "cloudflare:workers";
import schema from "../schema.sql?raw";

// The same schema.sql that `wrangler d1 execute DB --local --file schema.sql` applies.
const statements = schema
  .split("\n")
  .filter((line) => !line.trimStart().startsWith("--"))
  .join("\n")
  .split(";")
  .map((s) => s.trim())
  .filter(Boolean);

await env.DB.batch(statements.map((s) => env.DB.prepare(s)));
