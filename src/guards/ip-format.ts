/**
 * Write-time validation of IP allowlist entries (addresses and CIDRs). Pure.
 * Returns the canonical text of the entry, or null when it is not a strict address or network.
 */
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function canonicalIpv6(text: string): string | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(":")) return null;
  try {
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
}

export function canonicalIpEntry(entry: string): string | null {
  const [address, prefix, ...rest] = entry.split("/");
  if (rest.length > 0 || address === undefined) return null;
  const v4 = IPV4.test(address);
  const canonical = v4 ? address : canonicalIpv6(address);
  if (canonical === null) return null;
  if (prefix === undefined) return canonical;
  if (!/^(0|[1-9]\d{0,2})$/.test(prefix) || Number(prefix) > (v4 ? 32 : 128)) return null;
  return `${canonical}/${prefix}`;
}

/** RFC 9110 product token (`App`, `App/1.2`), the unit User-Agent allowlists match on. */
export const isProductName = (s: string) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(s);
