/**
 * Standard Webhooks signatures (DESIGN §8; https://www.standardwebhooks.com): `webhook-signature`
 * is `v1,<base64 HMAC-SHA-256 of "<id>.<timestamp>.<body>">`, one per live secret, space-separated
 * (during 24 h after a rotation both secrets sign). Secrets are `whsec_<base64 key>`. Pure apart
 * from WebCrypto.
 */
const PREFIX = "whsec_";

/** A new endpoint secret: 32 random bytes, `whsec_`-prefixed base64, as receivers' libraries expect. */
export function newWebhookSecret(): string {
  return PREFIX + btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
}

function keyBytes(secret: string): Uint8Array {
  const b64 = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

async function signOne(secret: string, content: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", keyBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(content)));
  return `v1,${btoa(String.fromCharCode(...mac))}`;
}

/** The three headers of one delivery attempt: a fresh timestamp (unix seconds) and a signature per secret. */
export async function signedHeaders(
  secrets: readonly string[],
  delivery: { id: string; body: string; timestamp: number },
): Promise<Record<"webhook-id" | "webhook-timestamp" | "webhook-signature", string>> {
  if (secrets.length === 0) throw new Error("a webhook needs at least one secret to sign with");
  const content = `${delivery.id}.${delivery.timestamp}.${delivery.body}`;
  const signatures = await Promise.all(secrets.map((secret) => signOne(secret, content)));
  return { "webhook-id": delivery.id, "webhook-timestamp": String(delivery.timestamp), "webhook-signature": signatures.join(" ") };
}
