import { retryAfterOf } from "../auth/authenticate";
import { classifyCredential } from "../auth/credentials";
import { failureThrottle } from "../auth/failure-throttle";
import { checkCredential } from "../auth/verify-key";
import { constantTimeEqual } from "../keys/crypto";
import { MIN_ADMIN_TOKEN_LENGTH, type Opened } from "./session";
import type { DashboardContext } from "./types";

/** Why a sign-in did not open a session, in words for the person at the form. */
export interface SignInRefusal {
  status: 401 | 403 | 429;
  message: string;
  retryAfter?: number;
}

const NOT_ACCEPTED =
  "That token was not accepted. Paste the whole operator token, or an active personal access token (kw_pat_…) that belongs to a user.";

/**
 * Decides a sign-in with the same checks as the API. The operator token opens the operator
 * console. A personal access token (`kw_pat_…`) goes through `checkCredential` like any API
 * request, spending nothing (cost 0), with its IP and User-Agent lists applied but not its
 * origin list: the sign-in form is the dashboard's own page, not a partner's site calling the API.
 * It must belong to a user. Only failures meet the failed-authentication throttle (per address,
 * IPv6 per /64), as on the API: an address that failed too often gets 429 for its failures, and a
 * valid token is always let in (DESIGN §3a).
 */
export async function decideSignIn(c: DashboardContext, token: string): Promise<Opened | SignInRefusal> {
  const ip = c.req.header("cf-connecting-ip") ?? null;
  const failed = (): SignInRefusal => {
    if (!ip) return { status: 401, message: NOT_ACCEPTED };
    const throttle = failureThrottle(c.env);
    const wait = throttle.retryAfter(ip);
    if (wait > 0) {
      return { status: 429, retryAfter: wait, message: `Too many failed sign-ins from your network. Wait ${wait} seconds, then try again.` };
    }
    throttle.recordFailure(ip);
    return { status: 401, message: NOT_ACCEPTED };
  };
  if (token.length === 0 || token.length > 512) return failed();

  const adminToken = c.env.ADMIN_TOKEN;
  if (adminToken && adminToken.length >= MIN_ADMIN_TOKEN_LENGTH && constantTimeEqual(token, adminToken)) return { kind: "operator" };

  const credential = classifyCredential(c.env, token);
  if (credential.kind !== "key" || credential.key.type !== "personal") return failed();
  const facts = { origin: null, ip, userAgent: c.req.header("user-agent") ?? null };
  const result = await checkCredential(c.env, credential, { facts, cost: 0, acceptTokens: false });
  if (result.ok) {
    if (!result.auth.user) return { status: 403, message: "This personal access token is not bound to a user, so it cannot open a portal." };
    return { kind: "key", keyId: result.auth.key.id, secretHash: result.secretHash };
  }
  switch (result.reason) {
    case "ip_not_allowed":
      return { status: 403, message: "This token may not be used from your network (its IP allowlist)." };
    case "agent_not_allowed":
      return { status: 403, message: "This token may not be used from this browser (its User-Agent allowlist)." };
    case "rate_limited":
      return { status: 429, retryAfter: retryAfterOf(result.ratelimit), message: "This token has used its rate limit. Wait a minute, then try again." };
    default:
      return failed();
  }
}
