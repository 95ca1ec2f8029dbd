import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { FailureThrottle } from "../auth/failure-throttle";
import type { AuditContext } from "../db/audit";
import type { AppEnv } from "../env";
import { handleReport } from "../events/leaks/handle";
import { LeakReportSchema, LeakVerdictSchema, MAX_REPORTED_TOKENS } from "../events/leaks/report";
import { ReportKeysMalformed, reportKeys, verifyReport } from "../events/leaks/signature";
import { problemResponses, type App } from "../hono";
import { ApiError } from "../lib/problem";
import { nowIso } from "../lib/time";
import { jsonBody } from "../schemas/common";

const KEY_ID_HEADER = "github-public-key-identifier";
const SIGNATURE_HEADER = "github-public-key-signature";

/**
 * Unsigned reports and bad signatures, per client address (IPv6 per /64), in this isolate: anyone
 * may send those, so they are what is throttled. A correctly signed report is never refused by it,
 * so spam from an address cannot starve GitHub's reports from the same network.
 */
export const LEAK_REPORT_LIMIT = { count: 10, seconds: 60 };
const throttle = new FailureThrottle(LEAK_REPORT_LIMIT.count, LEAK_REPORT_LIMIT.seconds * 1000);

/** Whether each request's report was correctly signed, decided before its body is parsed. */
const signedRequests = new WeakMap<Request, boolean>();

const route = createRoute({
  method: "post",
  path: "/v1/leaks",
  operationId: "reportLeakedKeys",
  tags: ["Leaked keys"],
  summary: "Report leaked keys (GitHub secret scanning)",
  description:
    "Public: no credential. The body is what GitHub's secret scanning partner program posts, an array of `{token, type, url, source}` " +
    `(at most ${MAX_REPORTED_TOKENS}). Signed reports carry \`Github-Public-Key-Identifier\` and \`Github-Public-Key-Signature\` ` +
    "(ECDSA P-256, SHA-256 over the raw body, base64 DER) from a key in `LEAK_REPORT_PUBLIC_KEYS`; a wrong or unknown signature is 401. " +
    "Every real key reported gets `leaked_at` and a `key.leaked` event. A correctly signed report also applies the partner's " +
    "`leak_action` (`revoke`, the default, or `notify`); an unsigned report only flags, and publishable keys are never revoked by a report. " +
    "The answer labels each distinct token by its SHA-256, never echoing it. Unsigned and badly signed reports are throttled per client address.",
  security: [],
  middleware: [checkSignature()],
  request: {
    headers: z.object({
      [KEY_ID_HEADER]: z.string().optional().openapi({ description: "Which published key signed the report. Send with the signature, or neither." }),
      [SIGNATURE_HEADER]: z.string().optional().openapi({ description: "Base64 DER ECDSA P-256 signature of the raw body (SHA-256)." }),
    }),
    body: jsonBody(LeakReportSchema),
  },
  responses: {
    ...problemResponses([
      "malformed_request", "validation_error", "invalid_signature", "payload_too_large", "unsupported_media_type", "too_many_reports",
      "not_configured", "storage_unavailable", "propagation_pending",
    ]),
    200: {
      description: "One verdict per distinct reported token, in the order first reported.",
      content: { "application/json": { schema: z.array(LeakVerdictSchema) } },
    },
  },
});

/**
 * Before the body is parsed: throttles what anyone can send, reads the raw bytes (the signature
 * covers those, not a re-serialization) and verifies the signature when one is present.
 */
function checkSignature(): MiddlewareHandler<AppEnv> {
  return async function checkLeakSignature(c, next) {
    const ip = c.req.header("cf-connecting-ip");
    const identifier = c.req.header(KEY_ID_HEADER);
    const signature = c.req.header(SIGNATURE_HEADER);
    const refuseIfThrottled = () => {
      const wait = ip ? throttle.retryAfter(ip) : 0;
      if (wait > 0) {
        throw new ApiError("too_many_reports", "Too many unsigned or badly signed reports from this address.", { headers: { "retry-after": String(wait) } });
      }
      if (ip) throttle.recordFailure(ip);
    };
    if (identifier === undefined && signature === undefined) {
      refuseIfThrottled();
      signedRequests.set(c.req.raw, false);
      return next();
    }
    const body = new Uint8Array(await c.req.arrayBuffer());
    let keys;
    try {
      keys = await reportKeys(c.env.LEAK_REPORT_PUBLIC_KEYS);
    } catch (err) {
      if (!(err instanceof ReportKeysMalformed)) throw err;
      throw new ApiError("not_configured", "LEAK_REPORT_PUBLIC_KEYS is malformed: signed leak reports cannot be checked.");
    }
    if (identifier === undefined || signature === undefined || !(await verifyReport(keys, identifier, signature, body))) {
      refuseIfThrottled();
      throw new ApiError("invalid_signature", "The report's signature is missing a header, names an unknown key, or does not match the body.");
    }
    signedRequests.set(c.req.raw, true);
    return next();
  };
}

export const registerLeaks = (app: App) =>
  app.openapi(route, async (c) => {
    const audit: AuditContext = { actor: "leak_report", actorName: "Leak report", requestId: c.get("requestId"), at: nowIso() };
    const verdicts = await handleReport(c.env, c.req.valid("json"), { signed: signedRequests.get(c.req.raw) === true, audit });
    return c.json(verdicts, 200);
  });
