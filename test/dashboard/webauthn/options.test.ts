import { describe, expect, it } from "vitest";
import { authenticationOptions, registrationOptions, relyingPartyFor, verifyAuthentication, verifyRegistration } from "../../../src/dashboard/webauthn";
import { ORIGIN, RP_ID, SoftAuthenticator, b64url, refusal, unb64url, utf8 } from "./authenticator";

// The options the page hands to navigator.credentials: what the browser shows and enforces
// (which site, which algorithms, a discoverable passkey, no attestation) and a fresh challenge
// each time, which the verifiers then demand.

describe("registration options", () => {
  it("ask for a discoverable ES256 or RS256 passkey for our rpId, without attestation, with a fresh 32-byte challenge", () => {
    const options = registrationOptions({ rpId: "keyward.example", user: { id: "usr_123", name: "ada@partner.example", displayName: "Ada" } });
    expect(options).toEqual({
      challenge: options.challenge,
      rp: { id: "keyward.example", name: "Keyward" },
      user: { id: b64url(utf8("usr_123")), name: "ada@partner.example", displayName: "Ada" },
      pubKeyCredParams: [{ type: "public-key", alg: -7 }, { type: "public-key", alg: -257 }],
      authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: "preferred" },
      attestation: "none",
      timeout: 60_000,
      excludeCredentials: [],
    });
    expect(unb64url(options.challenge)).toHaveLength(32);
    const challenges = new Set(Array.from({ length: 50 }, () => registrationOptions({ rpId: RP_ID, user: { name: "a" } }).challenge));
    expect(challenges.size).toBe(50);
  });

  it("give a random 32-byte user handle when none is passed, and list passkeys to exclude with their transports", () => {
    const options = registrationOptions({
      rpId: RP_ID,
      user: { name: "ada" },
      excludeCredentials: [{ credentialId: "AQID", transports: ["internal"] }, { credentialId: "BAUG" }],
    });
    expect(unb64url(options.user.id)).toHaveLength(32);
    expect(options.user.displayName).toBe("ada");
    expect(options.excludeCredentials).toEqual([{ type: "public-key", id: "AQID", transports: ["internal"] }, { type: "public-key", id: "BAUG" }]);
  });

  it("refuse a user handle over 64 bytes (browsers would throw)", async () => {
    expect(await refusal(() => registrationOptions({ rpId: RP_ID, user: { id: "x".repeat(65), name: "ada" } }))).toBe("malformed");
  });

  it("carry a challenge that a genuine registration answering them passes, and that another ceremony's answer fails", async () => {
    const auth = await SoftAuthenticator.create(-7);
    const options = registrationOptions({ rpId: RP_ID, user: { name: "ada" } });
    const response = await auth.register({ challenge: options.challenge, rpId: options.rp.id });
    const ceremony = { expectedOrigin: ORIGIN, expectedRpId: RP_ID };
    const registered = await verifyRegistration({ response, expectedChallenge: options.challenge, ...ceremony });
    const next = registrationOptions({ rpId: RP_ID, user: { name: "ada" } });
    expect(await refusal(() => verifyRegistration({ response, expectedChallenge: next.challenge, ...ceremony }))).toBe("challenge_mismatch");

    const get = authenticationOptions({ rpId: RP_ID });
    const assertion = await auth.authenticate({ challenge: get.challenge, rpId: get.rpId });
    const credential = { publicKey: registered.publicKey, signCount: registered.signCount };
    expect((await verifyAuthentication({ response: assertion, expectedChallenge: get.challenge, ...ceremony, credential })).newSignCount).toBe(1);
    expect(await refusal(() => verifyAuthentication({ response: assertion, expectedChallenge: options.challenge, ...ceremony, credential }))).toBe("challenge_mismatch");
  });
});

describe("authentication options", () => {
  it("allow any discoverable passkey by default, or the listed ones, preferring user verification", () => {
    const discoverable = authenticationOptions({ rpId: RP_ID });
    expect(discoverable).toEqual({ challenge: discoverable.challenge, rpId: RP_ID, allowCredentials: [], userVerification: "preferred", timeout: 60_000 });
    expect(unb64url(discoverable.challenge)).toHaveLength(32);
    expect(authenticationOptions({ rpId: RP_ID }).challenge).not.toBe(discoverable.challenge);
    const listed = authenticationOptions({ rpId: RP_ID, allowCredentials: [{ credentialId: "AQID", transports: ["usb", "nfc"] }] });
    expect(listed.allowCredentials).toEqual([{ type: "public-key", id: "AQID", transports: ["usb", "nfc"] }]);
  });
});

describe("relying party for an origin", () => {
  it("is the origin's host on https and on http://localhost", () => {
    expect(relyingPartyFor("https://keyward.example")).toEqual({ rpId: "keyward.example", origin: "https://keyward.example" });
    expect(relyingPartyFor("https://keys.partner.example:8443/dashboard")).toEqual({ rpId: "keys.partner.example", origin: "https://keys.partner.example:8443" });
    expect(relyingPartyFor("http://localhost:8787")).toEqual({ rpId: "localhost", origin: "http://localhost:8787" });
    expect(relyingPartyFor("http://dash.localhost:8787")).toEqual({ rpId: "dash.localhost", origin: "http://dash.localhost:8787" });
  });

  it("is none where browsers refuse WebAuthn: IP addresses, plain http elsewhere, other schemes, nonsense", () => {
    for (const origin of ["http://127.0.0.1:8787", "https://127.0.0.1", "http://[::1]:8787", "https://[2001:db8::1]", "http://keyward.example", "ftp://keyward.example", "not a url", ""]) {
      expect(relyingPartyFor(origin), origin).toBeNull();
    }
  });
});
