import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizeOrigin, originAllowed } from "../../src/allowlists/origin";

describe("normalizeOrigin", () => {
  it.each([
    ["https://App.Example.com", "https://app.example.com"],
    ["HTTPS://APP.EXAMPLE.COM:443", "https://app.example.com"],
    ["http://localhost:80/", "http://localhost"],
    ["http://127.0.0.1:8080", "http://127.0.0.1:8080"],
    ["https://[2001:DB8::1]:8443", "https://[2001:db8::1]:8443"],
    ["https://bücher.example", "https://xn--bcher-kva.example"],
  ])("normalizes %s to %s", (input, expected) => {
    expect(normalizeOrigin(input)).toBe(expected);
  });

  it.each([
    "*", "null", "https://*.example.com", "https://app.example.com/path", "https://app.example.com?x=1",
    "https://app.example.com#f", "ftp://app.example.com", "javascript:alert(1)", "app.example.com",
    "https://user:pw@app.example.com", "https://", "https://app.example.com:99999", " https://app.example.com",
    "https://app.example.com\\evil", "file:///etc/passwd", "data:text/html,x",
  ])("refuses %s", (input) => {
    expect(normalizeOrigin(input)).toBeNull();
  });

  it("is idempotent and always yields scheme://host[:port] with no path", () => {
    // Only valid origins are generated, so every one must normalize (a null fails the property).
    const webUrl = fc.webUrl({ withQueryParameters: false, withFragments: false, authoritySettings: { withPort: true } });
    fc.assert(
      fc.property(webUrl, fc.boolean(), (url, shout) => {
        const origin = new URL(url).origin;
        const authority = url.replace(/^(https?:\/\/[^/]+).*$/, "$1");
        const once = normalizeOrigin(shout ? authority.toUpperCase() : authority);
        expect(once, authority).not.toBeNull();
        expect(once).toBe(origin);
        expect(normalizeOrigin(once!)).toBe(once);
        expect(once).toMatch(/^https?:\/\/[^/]+$/);
      }),
    );
  });
});

describe("originAllowed", () => {
  const list = ["https://partner.example"];
  it("admits the exact origin and server calls without an Origin", () => {
    expect(originAllowed("https://partner.example", list)).toBe(true);
    expect(originAllowed(null, list)).toBe(true);
    expect(originAllowed(null, [])).toBe(true);
  });

  it.each([
    "https://partner.example.evil.com", "https://evil-partner.example", "null", "http://partner.example",
    "https://partner.example:8443", "https://partner.example/", "https://PARTNER.example", "https://partner.example.",
  ])("refuses the lookalike %s", (origin) => {
    expect(originAllowed(origin, list)).toBe(false);
  });

  it("refuses every browser call when the list is empty", () => {
    expect(originAllowed("https://partner.example", [])).toBe(false);
  });
});
