import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { webhookTarget } from "../../../src/events/webhooks/target";

const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/);
const publicHost = fc.tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.constantFrom("com", "io", "example", "dev")).map(([ls, tld]) => [...ls, tld].join("."));
const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join("."));

describe("webhook targets (DESIGN §8)", () => {
  it("accept https on the default port at any public host name, with any path and query", () => {
    fc.assert(
      fc.property(publicHost, fc.webPath(), (host, path) => {
        expect(webhookTarget(`https://${host}${path}`).ok, `${host}${path}`).toBe(true);
        expect(webhookTarget(`https://${host}:443${path}`).ok, "443 is the default port").toBe(true);
      }),
    );
  });

  it("refuse http, other ports, credentials and fragments", () => {
    fc.assert(
      fc.property(publicHost, fc.integer({ min: 1, max: 65535 }).filter((p) => p !== 443), (host, port) => {
        expect(webhookTarget(`http://${host}/hook`).ok).toBe(false);
        expect(webhookTarget(`https://${host}:${port}/hook`).ok).toBe(false);
      }),
    );
    for (const url of ["https://user:pw@hooks.example.com/", "https://hooks.example.com/#frag", "ftp://hooks.example.com/", "hooks.example.com/x", ""]) {
      expect(webhookTarget(url).ok, url).toBe(false);
    }
  });

  it("refuse every IP literal, in any spelling the URL parser reads as one, and local names, however many trailing dots", () => {
    fc.assert(
      fc.property(ipv4, (ip) => {
        expect(webhookTarget(`https://${ip}/`).ok, ip).toBe(false);
      }),
    );
    for (const url of [
      "https://[::1]/", "https://[fd00::1]/", "https://[::ffff:10.0.0.1]/", "https://0x7f.1/", "https://2130706433/", "https://127.1/",
      "https://localhost/", "https://LOCALHOST./", "https://api.localhost/", "https://printer.local/", "https://db.internal/", "https://intranet/",
      "https://localhost../", "https://printer.local../", "https://db.internal.../", "https://localhost%2e%2e/", "https://a..example.com/",
    ]) {
      expect(webhookTarget(url).ok, url).toBe(false);
    }
  });

  it("with WEBHOOK_ALLOW_LOCAL also take http, any port and loopback, but still no other IP literal", () => {
    const local = { allowLocal: true };
    for (const url of ["http://localhost:9000/hook", "http://127.0.0.1:8080/", "http://[::1]:3000/x", "http://app.localhost:1234/", "https://localhost/"]) {
      expect(webhookTarget(url, local).ok, url).toBe(true);
    }
    fc.assert(
      fc.property(ipv4.filter((ip) => !ip.startsWith("127.")), (ip) => {
        expect(webhookTarget(`http://${ip}:8080/`, local).ok, ip).toBe(false);
        expect(webhookTarget(`https://${ip}/`, local).ok, ip).toBe(false);
      }),
    );
    expect(webhookTarget("http://hooks.example.com/", local).ok, "http stays loopback-only").toBe(false);
  });
});
