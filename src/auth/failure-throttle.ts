import type { Bindings } from "../env";
import { SlidingWindow } from "../guard/sliding-window";
import { parseIp } from "../guards/ip";
import { setBounded } from "../lib/bounded-map";

/**
 * Throttles failed authentications per client IP (`CF-Connecting-IP`), so guessing keys or the
 * admin token from one address gets 429s. It lives in the isolate, not in storage: forged keys
 * stay free of storage calls, and a client that never fails is never slowed. The price is that
 * each isolate counts on its own; the HMAC tag, not this throttle, is what makes forging keys
 * hopeless. Loopback addresses are not throttled: on Cloudflare the edge never reports one,
 * while under `wrangler dev` every local client is 127.0.0.1, and local test suites must not
 * throttle themselves. The same goes for requests without the header (only possible off Cloudflare).
 */
export class FailureThrottle {
  private readonly windows = new Map<string, SlidingWindow>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly maxAddresses = 10_000,
  ) {}

  /** Seconds the address must wait, or 0 when it may try. */
  retryAfter(ip: string, now = Date.now()): number {
    if (isLoopback(ip)) return 0;
    const window = this.windows.get(ip);
    if (!window || window.used(now) < this.limit) return 0;
    return Math.max(1, window.resetSeconds(now));
  }

  recordFailure(ip: string, now = Date.now()): void {
    if (isLoopback(ip)) return;
    let window = this.windows.get(ip);
    if (!window) {
      window = new SlidingWindow(this.limit, this.windowMs);
      setBounded(this.windows, ip, window, this.maxAddresses);
    }
    window.tryAdmit(now);
  }
}

const isLoopback = (ip: string) => parseIp(ip)?.range() === "loopback";

const throttles = new Map<string, FailureThrottle>();

/** The isolate's throttle for the configured `count/seconds` (default 20 failures a minute). */
export function failureThrottle(env: Pick<Bindings, "AUTH_FAILURE_LIMIT">): FailureThrottle {
  const config = env.AUTH_FAILURE_LIMIT ?? "20/60";
  let throttle = throttles.get(config);
  if (!throttle) {
    const match = /^(\d{1,7})\/(\d{1,6})$/.exec(config);
    throttle = match ? new FailureThrottle(Number(match[1]), Number(match[2]) * 1000) : new FailureThrottle(20, 60_000);
    throttles.set(config, throttle);
  }
  return throttle;
}
