import ipaddr from "ipaddr.js";

/**
 * Strict IP and CIDR handling for allowlists. Pure.
 *
 * ipaddr.js does the parsing, canonical IPv6 text and prefix matching. It needs help with: IPv4
 * forms it accepts but we refuse (short `127.1`, hex, octal, integer, leading zeros — only
 * `IPv4.isValidFourPartDecimal` is strict), leading zeros inside IPv6's embedded IPv4, zone ids
 * (`fe80::1%eth0`), leading zeros in a prefix length (`/08`) and CIDRs with host bits set.
 */
export type Address = ipaddr.IPv4 | ipaddr.IPv6;

export interface Network {
  address: Address;
  prefix: number;
}

const DOTTED_QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const EMBEDDED_IPV4 = /:([^:]*\.[^:]*)$/;

/**
 * ipaddr.js reads any `::a.b.c.d` as IPv4-mapped (`::ffff:a.b.c.d`), which would let the
 * deprecated IPv4-compatible form pass an IPv4 allowlist. Only `::ffff:` maps to IPv4, so the
 * embedded quad is rewritten as the two hex groups it stands for before parsing.
 */
function parseIpv6(text: string): ipaddr.IPv6 | null {
  if (text.includes("%") || !ipaddr.IPv6.isValid(text)) return null;
  const embedded = EMBEDDED_IPV4.exec(text);
  if (!embedded) return ipaddr.IPv6.parse(text);
  if (!DOTTED_QUAD.test(embedded[1]!)) return null;
  const [a, b, c, d] = embedded[1]!.split(".").map(Number) as [number, number, number, number];
  const groups = `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  const rewritten = text.slice(0, embedded.index + 1) + groups;
  return ipaddr.IPv6.isValid(rewritten) ? ipaddr.IPv6.parse(rewritten) : null;
}

/** An address as a client presents it (`CF-Connecting-IP`); IPv4-mapped IPv6 becomes IPv4. */
export function parseIp(text: string): Address | null {
  if (DOTTED_QUAD.test(text)) return ipaddr.IPv4.parse(text);
  const v6 = parseIpv6(text);
  if (!v6) return null;
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

/** An allowlist entry: an address (a /32 or /128) or a network with its host bits zero. */
export function parseNetwork(entry: string): Network | null {
  const parts = entry.split("/");
  if (parts.length > 2) return null;
  const [text, prefixText] = parts as [string, string | undefined];
  let address: Address | null;
  let prefix: number;
  if (DOTTED_QUAD.test(text)) {
    address = ipaddr.IPv4.parse(text);
    prefix = 32;
  } else {
    address = parseIpv6(text);
    prefix = 128;
  }
  if (!address) return null;
  if (prefixText !== undefined) {
    if (!/^(0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > prefix) return null;
    prefix = Number(prefixText);
  }
  // An IPv4-mapped network is the IPv4 network it maps, so it matches IPv4 clients.
  if (address.kind() === "ipv6" && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    if (prefix < 96) return null;
    address = (address as ipaddr.IPv6).toIPv4Address();
    prefix -= 96;
  }
  const network = networkAddress(address, prefix);
  if (network.toString() !== address.toString()) return null;
  return { address, prefix };
}

function networkAddress(address: Address, prefix: number): Address {
  const bytes = address.toByteArray();
  for (let bit = prefix; bit < bytes.length * 8; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return ipaddr.fromByteArray(bytes);
}

/** The text stored for an entry: canonical address, `/prefix` only for networks. */
function formatNetwork({ address, prefix }: Network): string {
  const full = address.kind() === "ipv4" ? 32 : 128;
  return prefix === full ? address.toString() : `${address.toString()}/${prefix}`;
}

export const canonicalIpEntry = (entry: string): string | null => {
  const network = parseNetwork(entry);
  return network ? formatNetwork(network) : null;
};

/** Numeric, per address family: an IPv4 client never matches an IPv6 network or the reverse. */
export function ipAllowed(ip: Address, networks: readonly Network[]): boolean {
  return networks.some((n) => n.address.kind() === ip.kind() && ip.match(n.address, n.prefix));
}
