/**
 * Where a webhook may be delivered (DESIGN §8, contract). A Worker cannot resolve a name before it
 * fetches, so the rules judge the URL itself: `https`, the default port, a name (never an IP
 * literal) that is not local. `allowLocal` (the var `WEBHOOK_ALLOW_LOCAL=on`, local development)
 * also admits `http`, any port, and loopback names and addresses — never other IP literals.
 * Pure: no I/O.
 */
export type TargetVerdict = { ok: true; url: string } | { ok: false; reason: string };

const LOCAL_SUFFIXES = [".local", ".internal", ".localhost"];
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
/** Names any resolver maps to the machine itself. */
const isLoopbackName = (host: string) => host === "localhost" || host.endsWith(".localhost");
const isLoopbackAddress = (host: string) => /^127(\.\d{1,3}){3}$/.test(host) || host === "[::1]";
/**
 * IP literals in every spelling the URL parser accepts: it already turns `0x7f.1`, `2130706433`
 * and `127.1` into dotted quads, and IPv6 comes bracketed.
 */
const isIpLiteral = (host: string) => IPV4.test(host) || host.startsWith("[");

export function webhookTarget(raw: string, options: { allowLocal?: boolean } = {}): TargetVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "Must be an absolute URL." };
  }
  // Trailing dots (any number: `localhost..`) name the same host to a resolver; an empty label
  // anywhere else is no host name at all.
  const host = url.hostname.toLowerCase().replace(/\.+$/, "");
  if (host === "" || host.startsWith(".") || host.includes("..")) return { ok: false, reason: "Must be a host name." };
  const local = options.allowLocal === true && (isLoopbackName(host) || isLoopbackAddress(host));
  if (url.username || url.password) return { ok: false, reason: "Must not carry a user name or password." };
  if (url.hash) return { ok: false, reason: "Must not have a fragment." };
  if (url.protocol !== "https:" && !(local && url.protocol === "http:")) {
    return { ok: false, reason: options.allowLocal ? "Must be https (http only for loopback)." : "Must be https." };
  }
  if (url.port !== "" && !local) return { ok: false, reason: "Must use the default port." };
  if (local) return { ok: true, url: url.href };
  if (isIpLiteral(host)) return { ok: false, reason: "Must be a host name, not an IP address." };
  if (!host.includes(".") || isLoopbackName(host) || LOCAL_SUFFIXES.some((s) => host.endsWith(s))) {
    return { ok: false, reason: "Must be a public host name." };
  }
  return { ok: true, url: url.href };
}
