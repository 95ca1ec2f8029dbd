import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Bindings } from "../../../src/env";
import worker from "../../../src/index";

/** A test's own signing key, exported as GitHub publishes its keys. */
export interface Reporter {
  identifier: string;
  privateKey: CryptoKey;
  /** `LEAK_REPORT_PUBLIC_KEYS` naming this reporter's public key. */
  config: string;
}

const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

export async function newReporter(identifier = `test-${crypto.randomUUID()}`): Promise<Reporter> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const spki = new Uint8Array((await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer);
  const pem = `-----BEGIN PUBLIC KEY-----\n${base64(spki).replace(/.{64}/g, "$&\n")}\n-----END PUBLIC KEY-----\n`;
  return { identifier, privateKey: pair.privateKey, config: JSON.stringify([{ key_identifier: identifier, key: pem }]) };
}

/** An unsigned big-endian integer as DER INTEGER content: leading zeros dropped, a 0x00 added when the top bit is set. */
function derInteger(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const trimmed = bytes.subarray(i);
  const content = trimmed[0]! & 0x80 ? Uint8Array.of(0, ...trimmed) : trimmed;
  return Uint8Array.of(0x02, content.length, ...content);
}

/** WebCrypto's r || s as the ASN.1 DER ECDSA-Sig-Value GitHub sends. */
export function rawToDer(raw: Uint8Array): Uint8Array {
  const r = derInteger(raw.subarray(0, 32));
  const s = derInteger(raw.subarray(32));
  return Uint8Array.of(0x30, r.length + s.length, ...r, ...s);
}

/** The `Github-Public-Key-*` headers for `body`, signed by `reporter`. */
export async function signatureHeaders(reporter: Reporter, body: string): Promise<Record<string, string>> {
  const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, reporter.privateKey, new TextEncoder().encode(body)));
  return { "Github-Public-Key-Identifier": reporter.identifier, "Github-Public-Key-Signature": base64(rawToDer(raw)) };
}

export interface ReportOptions {
  /** Sign with this reporter (its key configured); absent: unsigned. */
  signedBy?: Reporter;
  /** `LEAK_REPORT_PUBLIC_KEYS` for this request; defaults to the signer's own. */
  keys?: string;
  headers?: Record<string, string>;
  /** Send exactly this body instead of the JSON of `items`. */
  rawBody?: string;
}

/** POSTs a report through the Worker with this test's `LEAK_REPORT_PUBLIC_KEYS`. */
export async function report(items: unknown, options: ReportOptions = {}) {
  const body = options.rawBody ?? JSON.stringify(items);
  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  if (options.signedBy) Object.assign(headers, await signatureHeaders(options.signedBy, body));
  const vars: Partial<Bindings> = {};
  const keys = options.keys ?? options.signedBy?.config;
  if (keys !== undefined) vars.LEAK_REPORT_PUBLIC_KEYS = keys;
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request("http://keyward.test/v1/leaks", { method: "POST", headers, body }),
    { ...(env as unknown as Bindings), ...vars },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
}

/** Hex SHA-256, computed independently of the Worker. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The outbox rows of a key, oldest first. */
export async function eventsOf(keyId: string) {
  const { results } = await env.DB.prepare("SELECT type, payload, reacted_at FROM events WHERE subject_id = ?1 ORDER BY seq").bind(keyId).all<{
    type: string;
    payload: string;
    reacted_at: string | null;
  }>();
  return results.map((r) => ({ ...r, payload: JSON.parse(r.payload) }));
}

/** The audit rows of a key, oldest first. */
export async function auditOf(keyId: string) {
  const { results } = await env.DB.prepare("SELECT action, actor FROM audit_events WHERE target_id = ?1 ORDER BY seq").bind(keyId).all<{ action: string; actor: string }>();
  return results;
}
