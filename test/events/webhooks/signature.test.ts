import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { newWebhookSecret, signedHeaders } from "../../../src/events/webhooks/signature";

// Verified with `standardwebhooks`, the library receivers use, not with our own code.
describe("Standard Webhooks signatures", () => {
  it("verify with the receivers' library for any body, and fail for any other body or secret", async () => {
    await fc.assert(
      fc.asyncProperty(fc.json(), fc.string({ minLength: 1 }), async (body, other) => {
        const secret = newWebhookSecret();
        const timestamp = Math.floor(Date.now() / 1000);
        const headers = await signedHeaders([secret], { id: "evt_1", body, timestamp });
        expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
        if (other !== body) expect(() => new Webhook(secret).verify(other, headers)).toThrow();
        expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
      }),
      { numRuns: 30 },
    );
  });

  it("during a rotation carry one signature per secret, each verifying with its own secret", async () => {
    const [oldSecret, newSecret] = [newWebhookSecret(), newWebhookSecret()];
    const body = JSON.stringify({ type: "key.created", timestamp: "2026-11-28T00:00:00Z", data: {} });
    const headers = await signedHeaders([newSecret, oldSecret], { id: "evt_2", body, timestamp: Math.floor(Date.now() / 1000) });
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    for (const secret of [oldSecret, newSecret]) expect(new Webhook(secret).verify(body, headers)).toBeTruthy();
  });

  it("mint whsec_ secrets of 32 random bytes, never the same twice", () => {
    const secrets = Array.from({ length: 50 }, newWebhookSecret);
    expect(new Set(secrets).size).toBe(50);
    for (const s of secrets) expect(atob(s.slice("whsec_".length))).toHaveLength(32);
  });
});
