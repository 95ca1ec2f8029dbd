import { retryAfterOf } from "../auth/authenticate";
import { askGuard } from "../limiter/client";
import type { DashboardContext, SignedIn } from "./types";
import { PageError } from "./types";

type KeySession = Extract<SignedIn, { kind: "key" }>;

/**
 * A personal-access-token session's change goes through its token's admission, as the same
 * request through the API would (DESIGN §6: the same rules): one unit of its rate limit and of its
 * credits, counted in its usage. Pages that only read spend nothing. The principal then carries the
 * balance after the spend, so §3a's credit rules (a key-made key "never spends more credits than
 * the caller could") see the token's real balance, never "unlimited".
 *
 * Returns null when the token no longer stands (the caller shows the sign-in page).
 */
export async function admitChange(c: DashboardContext, signedIn: KeySession): Promise<KeySession | null> {
  const verdict = await askGuard(c.env, signedIn.record, 1, null);
  switch (verdict.outcome) {
    case "ok":
      return { ...signedIn, principal: { ...signedIn.principal, credits: verdict.credits } };
    case "rate_limited": {
      // Until every limit admits again (with several limits, past the most restrictive one's reset).
      const wait = retryAfterOf(verdict.ratelimit);
      throw new PageError(429, "Slow down", `Your token has used its rate limit for now. Try again in ${wait} seconds.`, { "retry-after": String(wait) });
    }
    case "credits_exhausted":
      throw new PageError(402, "No credits left", "Your token has no credits left, so it cannot make changes. Ask the operator for more.");
    case "stale":
      throw new PageError(503, "Try again in a moment", "Your token was just changed. Try again shortly.", { "retry-after": "1" });
    default:
      return null;
  }
}
