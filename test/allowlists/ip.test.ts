import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalIpEntry, ipAllowed, parseIp, parseNetwork } from "../../src/allowlists/ip";

const allows = (ip: string, entries: string[]) => {
  const address = parseIp(ip);
  if (!address) return false;
  return ipAllowed(address, entries.map((e) => parseNetwork(e)!));
};

/** fast-check's IPv6 forms may end in an IPv4 with leading zeros ("::ffff:01.2.3.4"), which parseIp refuses. */
const embedsNonCanonicalIpv4 = (ip: string) => /(^|\.)0\d/.test(/:(\d+\.\d+\.\d+\.\d+)$/.exec(ip)?.[1] ?? "");

describe("parseIp", () => {
  it.each(["1.2.3.4", "0.0.0.0", "255.255.255.255", "::1", "2001:db8::1", "::ffff:1.2.3.4", "::ffff:7f00:1", "2001:DB8:0:0:0:0:0:1"])(
    "accepts %s",
    (ip) => expect(parseIp(ip)).not.toBeNull(),
  );

  it.each([
    "01.2.3.4", "1.2.3", "127.1", "0x7f.0.0.1", "0177.0.0.1", "2130706433", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4",
    "1.2.3.4.5", "fe80::1%eth0", "fe80::1%25eth0", "::ffff:01.2.3.4", "1::2::3", "[::1]", "", "1.2.3.-1", "١.٢.٣.٤", "1.2.3.4/32",
  ])("refuses %s", (ip) => expect(parseIp(ip)).toBeNull());

  it("treats IPv4-mapped IPv6 as the IPv4 address", () => {
    expect(parseIp("::ffff:10.1.2.3")!.toString()).toBe("10.1.2.3");
    expect(allows("::ffff:10.1.2.3", ["10.0.0.0/8"])).toBe(true);
  });
});

describe("parseNetwork", () => {
  it.each([
    ["10.0.0.0/8", "10.0.0.0/8"],
    ["127.0.0.1", "127.0.0.1"],
    ["127.0.0.1/32", "127.0.0.1"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["2001:DB8::/32", "2001:db8::/32"],
    ["2001:db8:0:0::/64", "2001:db8::/64"],
    ["::ffff:10.0.0.0/104", "10.0.0.0/8"],
    ["::/0", "::/0"],
  ])("canonicalizes %s to %s", (entry, canonical) => expect(canonicalIpEntry(entry)).toBe(canonical));

  it.each(["10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/08", "10.0.0.0/-1", "2001:db8::1/32", "2001:db8::/129", "10.0.0.0/8/8", "::ffff:10.0.0.0/64", "10.0.0.0/", "fe80::%eth0/64", "12.34.56.789"])(
    "refuses %s",
    (entry) => expect(parseNetwork(entry)).toBeNull(),
  );
});

describe("ipAllowed", () => {
  it("matches at the boundaries of a network and nowhere else", () => {
    expect(allows("172.16.0.0", ["172.16.0.0/12"])).toBe(true);
    expect(allows("172.31.255.255", ["172.16.0.0/12"])).toBe(true);
    expect(allows("172.15.255.255", ["172.16.0.0/12"])).toBe(false);
    expect(allows("172.32.0.0", ["172.16.0.0/12"])).toBe(false);
    expect(allows("2001:db8:ffff::1", ["2001:db8::/32"])).toBe(true);
    expect(allows("2001:db9::1", ["2001:db8::/32"])).toBe(false);
  });

  it("never matches across address families", () => {
    expect(allows("::1", ["0.0.0.0/0"])).toBe(false);
    expect(allows("1.2.3.4", ["::/0"])).toBe(false);
  });

  it("an IPv4 address is in a /n exactly when its top n bits equal the network's", () => {
    const u32 = (ip: number[]) => ((ip[0]! << 24) | (ip[1]! << 16) | (ip[2]! << 8) | ip[3]!) >>> 0;
    const octets = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
    fc.assert(
      fc.property(octets, octets, fc.integer({ min: 0, max: 32 }), (a, b, prefix) => {
        const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
        const net = u32(b) & mask;
        const netText = [net >>> 24, (net >>> 16) & 255, (net >>> 8) & 255, net & 255].join(".");
        const expected = ((u32(a) & mask) >>> 0) === net >>> 0;
        return allows(a.join("."), [`${netText}/${prefix}`]) === expected;
      }),
      { numRuns: 500 },
    );
  });

  it("every canonical entry parses back to itself", () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
        fc.pre(!embedsNonCanonicalIpv4(ip));
        const canonical = canonicalIpEntry(ip);
        expect(canonical, ip).not.toBeNull();
        expect(canonicalIpEntry(canonical!)).toBe(canonical);
      }),
    );
  });

  it("accepts every RFC 4291 IPv6 form fast-check produces, unless it embeds a non-canonical IPv4", () => {
    fc.assert(fc.property(fc.ipV6(), (ip) => parseIp(ip) !== null || embedsNonCanonicalIpv4(ip)));
  });

  it("reads ::a.b.c.d as IPv6, never as the IPv4 address: only ::ffff:a.b.c.d is IPv4", () => {
    expect(allows("::1.2.3.4", ["1.2.3.4"])).toBe(false);
    expect(parseIp("::1.2.3.4")!.toString()).toBe("::102:304");
    expect(allows("::ffff:1.2.3.4", ["1.2.3.4"])).toBe(true);
    const octet = fc.nat(255);
    const quad = fc.tuple(octet, octet, octet, octet).map((o) => o.join("."));
    const head = fc.constantFrom("::", "::ffff:", "64:ff9b::", "1::", "::ffff:0:", "2001:db8::ffff:");
    fc.assert(
      fc.property(head, quad, (prefix, v4) => {
        const ip = parseIp(prefix + v4)!;
        const mapped = prefix === "::ffff:";
        return ip.kind() === (mapped ? "ipv4" : "ipv6") && allows(prefix + v4, [v4]) === mapped;
      }),
      { numRuns: 300 },
    );
  });
});
