import type { Bindings } from "../env";
import { SlidingWindow } from "../limiter/sliding-window";
import { parseIp } from "../allowlists/ip";
import { IsolateCache } from "../lib/isolate-cache";

/**
 * Throttles failed authentications per client address (`CF-Connecting-IP`; IPv6 per /64, which
 * one subscriber usually holds whole): an address that failed too often gets 429 instead of 401
 * for its failures. Only failures are refused: a valid key or the operator token is always
 * served, so nobody behind a shared NAT can lock others out (DESIGN §3a). It protects capacity,
 * not secrets: keys and ADMIN_TOKEN are far too long to guess. It lives in the isolate, not in
 * storage: forged keys stay free of storage calls, and a client that never fails is never slowed. The price is that
 * each isolate counts on its own; the HMAC tag, not this throttle, is what makes forging keys
 * hopeless. Loopback addresses are not throttled: on Cloudflare the edge never reports one,
 * while under `wrangler dev` every local client is 127.0.0.1, and local test suites must not
 * throttle themselves. The same goes for requests without the header (only possible off Cloudflare).
 */
export class FailureThrottle {
  // No TTL: a window forgets old failures itself; the bound caps how many addresses are tracked.
  private readonly windows = new IsolateCache<string, SlidingWindow>({ max: 10_000 });

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Seconds the address must wait, or 0 when it may try. */
  retryAfter(ip: string, now = Date.now()): number {
    if (isLoopback(ip)) return 0;
    const window = this.windows.get(subscriberOf(ip));
    if (!window || window.used(now) < this.limit) return 0;
    return Math.max(1, window.resetSeconds(now));
  }

  recordFailure(ip: string, now = Date.now()): void {
    if (isLoopback(ip)) return;
    const subscriber = subscriberOf(ip);
    let window = this.windows.get(subscriber);
    if (!window) {
      window = new SlidingWindow(this.limit, this.windowMs);
      this.windows.set(subscriber, window);
    }
    window.tryAdmit(now);
  }
}

const isLoopback = (ip: string) => parseIp(ip)?.range() === "loopback";

/** What one client holds: an IPv4 address, or an IPv6 /64 (a fresh address in it is no escape). */
function subscriberOf(ip: string): string {
  const address = parseIp(ip);
  if (!address) return ip;
  if (address.kind() === "ipv4") return address.toString();
  return `${(address.toByteArray().slice(0, 8) as number[]).map((b) => b.toString(16).padStart(2, "0")).join("")}/64`;
}

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
