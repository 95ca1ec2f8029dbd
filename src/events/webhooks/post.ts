import { ATTEMPT_TIMEOUT_MS, RESPONSE_EXCERPT_CHARS } from "./config";

/** What a receiver answered, as the delivery log keeps it. */
export interface PostOutcome {
  status_code: number | null;
  ok: boolean;
  /** Why an attempt failed without an answer to show: `timeout`, `network`, `redirect`. */
  error: string | null;
  response_excerpt: string | null;
}

/**
 * One POST to a receiver: 10 s at most, redirects not followed (a 3xx is a failed attempt: a
 * redirect could point anywhere, past the target rules), the answer's body read only up to a short
 * excerpt.
 */
export async function postToReceiver(url: string, body: string, headers: Record<string, string>): Promise<PostOutcome> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      body,
      headers: { ...headers, "content-type": "application/json", "user-agent": "Keyward-Webhooks/1" },
      redirect: "manual",
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    return { status_code: null, ok: false, error: timedOut ? "timeout" : "network", response_excerpt: null };
  }
  const excerpt = await readExcerpt(res);
  const ok = res.status >= 200 && res.status < 300;
  const redirect = res.status >= 300 && res.status < 400;
  return { status_code: res.status, ok, error: redirect ? "redirect" : null, response_excerpt: excerpt };
}

/** The first characters of the answer; the rest is never read off the wire. */
async function readExcerpt(res: Response): Promise<string | null> {
  if (!res.body) return null;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (text.length < RESPONSE_EXCERPT_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // An answer cut off mid-body still has its status; the excerpt is what arrived.
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return text === "" ? null : text.slice(0, RESPONSE_EXCERPT_CHARS);
}
