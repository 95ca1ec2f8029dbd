import { z } from "@hono/zod-openapi";

/**
 * At most this many tokens per report, refused (400) beyond, never half-read. GitHub batches far
 * fewer; each real key costs about eight subrequests (its read, its batch, the reactions' KV, Durable
 * Object and queue calls), so this keeps a report of nothing but real keys well inside one
 * invocation's subrequest budget.
 */
export const MAX_REPORTED_TOKENS = 100;

const LeakedToken = z
  .object({
    token: z.string().min(1).max(1024).openapi({ description: "The leaked secret as found." }),
    type: z.string().max(200).openapi({ description: "The secret type the scanner registered, echoed as `token_type`.", example: "keyward_secret_key" }),
    url: z.string().max(4096).nullish().openapi({ description: "Where it was found." }),
    source: z.string().max(200).nullish().openapi({ description: "What found it (e.g. `content`, `commit`, `npm`)." }),
  })
  .openapi("LeakedToken");

/** The body GitHub secret scanning posts (https://docs.github.com/code-security/secret-scanning/secret-scanning-partnership-program). */
export const LeakReportSchema = z.array(LeakedToken).max(MAX_REPORTED_TOKENS).openapi("LeakReport");
export type LeakReport = z.infer<typeof LeakReportSchema>;

export const LEAK_LABELS = ["true_positive", "false_positive"] as const;
export type LeakLabel = (typeof LEAK_LABELS)[number];

export const LeakVerdictSchema = z
  .object({
    token_hash: z.string().openapi({ description: "Hex SHA-256 of the reported token (the token itself is never echoed)." }),
    token_type: z.string(),
    label: z.enum(LEAK_LABELS).openapi({ description: "`true_positive`: a real key of this deployment (in a signed report, revoked or expired ones included; in an unsigned one, only a key that works today)." }),
  })
  .openapi("LeakVerdict");
export type LeakVerdict = z.infer<typeof LeakVerdictSchema>;

/** Hex SHA-256 of a token, as GitHub's feedback format identifies it. */
export async function tokenHash(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
