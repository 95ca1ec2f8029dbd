import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase64, derToRawSignature, pemToDer, reportKeys, verifyReport } from "../../../src/events/leaks/signature";
import { LEAK_REPORT_LIMIT } from "../../../src/routes/v1_leaks";
import { call, createKey, createPartner, me, storageCalls } from "../../helpers";
import { newReporter, rawToDer, report, signatureHeaders } from "./reporter";

const item = (token: string) => ({ token, type: "keyward_secret_key", url: "https://github.com/a/b", source: "content" });
let nextIp = 1;
/** A documentation address (RFC 5737) of the test's own, so no other test's reports count against it. */
const freshIp = () => `198.51.100.${nextIp++}`;

describe("leak report signatures", () => {
  it("a signature by another key, or over another body, is 401 invalid_signature and changes nothing", async () => {
    const reporter = await newReporter();
    const stranger = await newReporter(reporter.identifier);
    const { key, api_key } = await createKey((await createPartner()).id);
    const body = JSON.stringify([item(key)]);
    for (const headers of [await signatureHeaders(stranger, body), await signatureHeaders(reporter, JSON.stringify([item(key), item("x")]))]) {
      const res = await report(null, { rawBody: body, headers, keys: reporter.config });
      expect([res.status, res.body.code, res.headers.get("content-type")]).toEqual([401, "invalid_signature", "application/problem+json"]);
    }
    expect((await call(`/v1/keys/${api_key.id}`)).body.leaked_at).toBeNull();
    expect((await me(key)).status).toBe(200);
  });

  it("an unknown key identifier, a lone header, a malformed signature or no configured keys is 401", async () => {
    const reporter = await newReporter();
    const body = JSON.stringify([item("noise")]);
    const good = await signatureHeaders(reporter, body);
    const cases: [Record<string, string>, string | undefined][] = [
      [{ ...good, "Github-Public-Key-Identifier": "someone-else" }, reporter.config],
      [{ "Github-Public-Key-Signature": good["Github-Public-Key-Signature"]! }, reporter.config],
      [{ "Github-Public-Key-Identifier": reporter.identifier }, reporter.config],
      [{ ...good, "Github-Public-Key-Signature": "not base64!" }, reporter.config],
      [{ ...good, "Github-Public-Key-Signature": btoa("\x30\x02\x02\x00") }, reporter.config],
      [good, undefined],
      [good, "[]"],
    ];
    for (const [headers, keys] of cases) {
      const res = await report(null, { rawBody: body, headers, ...(keys !== undefined && { keys }) });
      expect([res.status, res.body.code], JSON.stringify(headers)).toEqual([401, "invalid_signature"]);
    }
    expect((await report(null, { rawBody: body, headers: good, keys: reporter.config })).status).toBe(200);
  });

  it("a malformed LEAK_REPORT_PUBLIC_KEYS is the operator's fault: 503 not_configured for signed reports, unsigned ones still served", async () => {
    const reporter = await newReporter();
    const body = JSON.stringify([item("noise")]);
    for (const keys of ["{", '[{"key_identifier":"x","key":"-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----"}]', '[{"key":1}]', '"x"']) {
      const res = await report(null, { rawBody: body, headers: await signatureHeaders(reporter, body), keys });
      expect([res.status, res.body.code], keys).toEqual([503, "not_configured"]);
      expect((await report([item("noise")], { keys })).status).toBe(200);
    }
  });

  it("refuses a body that is not an array of {token, type} or holds over 100 tokens (400), signed or not", async () => {
    const reporter = await newReporter();
    for (const bad of [{ token: "x", type: "t" }, [{ token: 1, type: "t" }], [{ type: "t" }], Array.from({ length: 101 }, () => item("x"))]) {
      const res = await report(bad, { signedBy: reporter });
      expect([res.status, res.body.code]).toEqual([400, "validation_error"]);
    }
    const res = await report(null, { rawBody: "[{", signedBy: reporter });
    expect([res.status, res.body.code]).toEqual([400, "malformed_request"]);
    expect((await report([], { signedBy: reporter })).body).toEqual([]);
  });
});

describe("leak report throttling", () => {
  it(`unsigned reports past ${LEAK_REPORT_LIMIT.count} a window from one address get 429 with Retry-After, and correctly signed ones are still served`, async () => {
    const reporter = await newReporter();
    const ip = freshIp();
    const headers = { "cf-connecting-ip": ip };
    for (let i = 0; i < LEAK_REPORT_LIMIT.count; i++) expect((await report([item("noise")], { headers })).status).toBe(200);
    const refused = await report([item("noise")], { headers });
    expect([refused.status, refused.body.code, refused.headers.get("content-type")]).toEqual([429, "too_many_reports", "application/problem+json"]);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(storageCalls(refused)).toEqual({});
    // A bad signature from there is throttled too; a good one is not.
    const body = JSON.stringify([item("noise")]);
    const forged = { ...(await signatureHeaders(await newReporter(reporter.identifier), body)), ...headers };
    expect((await report(null, { rawBody: body, headers: forged, keys: reporter.config })).status).toBe(429);
    const { key } = await createKey((await createPartner()).id);
    const signed = await report([item(key)], { signedBy: reporter, headers });
    expect([signed.status, signed.body[0]?.label]).toEqual([200, "true_positive"]);
    // Another address is not affected.
    expect((await report([item("noise")], { headers: { "cf-connecting-ip": freshIp() } })).status).toBe(200);
  });

  it("bad signatures count against the address like unsigned reports", async () => {
    const reporter = await newReporter();
    const headers = { "cf-connecting-ip": freshIp() };
    const body = JSON.stringify([item("noise")]);
    const forged = { ...(await signatureHeaders(await newReporter(reporter.identifier), body)), ...headers };
    for (let i = 0; i < LEAK_REPORT_LIMIT.count; i++) expect((await report(null, { rawBody: body, headers: forged, keys: reporter.config })).status).toBe(401);
    expect((await report([item("noise")], { headers })).status).toBe(429);
  });
});

describe("signature encoding (pure)", () => {
  it("converts every DER signature WebCrypto's raw form makes back to exactly that raw form", async () => {
    await fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (raw) => {
        fc.pre(raw.subarray(0, 32).some((b) => b !== 0) && raw.subarray(32).some((b) => b !== 0));
        expect(derToRawSignature(rawToDer(raw))).toEqual(raw);
      }),
      { numRuns: 500 },
    );
  });

  it("refuses non-minimal, negative, oversized, truncated or trailing DER", () => {
    const raw = new Uint8Array(64).fill(1);
    const der = rawToDer(raw);
    expect(derToRawSignature(der)).toEqual(raw);
    expect(derToRawSignature(Uint8Array.of(...der, 0))).toBeNull(); // trailing byte
    expect(derToRawSignature(der.subarray(0, der.length - 1))).toBeNull(); // truncated
    const padded = Uint8Array.of(0x30, der[1]! + 1, 0x02, 33, 0x00, ...der.subarray(4));
    expect(derToRawSignature(padded)).toBeNull(); // 0x00 before a byte without its top bit
    const negative = Uint8Array.from(der);
    negative[4] = 0x81;
    expect(derToRawSignature(negative)).toBeNull();
    const big = Uint8Array.of(0x30, 2 + 34 + 2 + 32, 0x02, 34, 0x00, 0x80, ...new Uint8Array(32), 0x02, 32, ...new Uint8Array(32).fill(1));
    expect(derToRawSignature(big)).toBeNull();
    expect(derToRawSignature(Uint8Array.of(0x31, 6, 2, 1, 1, 2, 1, 1))).toBeNull();
    expect(derToRawSignature(new Uint8Array())).toBeNull();
  });

  it("reads PEM public keys and strict base64 only", async () => {
    const reporter = await newReporter();
    const [entry] = JSON.parse(reporter.config);
    expect(pemToDer(entry.key)?.length).toBe(91);
    expect(pemToDer("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")).toBeNull();
    expect(decodeBase64("AAA=")).toEqual(new Uint8Array(2));
    expect(decodeBase64("A")).toBeNull();
    expect(decodeBase64("AA-_")).toBeNull();
    const [key] = await reportKeys(reporter.config);
    const body = new TextEncoder().encode("[]");
    const headers = await signatureHeaders(reporter, "[]");
    expect(await verifyReport([key!], reporter.identifier, headers["Github-Public-Key-Signature"]!, body)).toBe(true);
    expect(await verifyReport([key!], reporter.identifier, headers["Github-Public-Key-Signature"]!, new TextEncoder().encode("[ ]"))).toBe(false);
  });
});
