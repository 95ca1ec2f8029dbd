import { describe, expect, it } from "vitest";
import { verifyRegistration, verifyAuthentication } from "../../../src/dashboard/webauthn";
import { FLAG, ORIGIN, RP_ID, SoftAuthenticator, b64url, cbor, mutate, randomChallenge, refusal, utf8, type Encodable } from "./authenticator";

// Registering a passkey: what an attacker could try (replaying another ceremony, another site's
// credential, a key we cannot verify, a misattributed credential id) is refused with a reason,
// and a genuine registration yields a credential that signs in.

const expected = (challenge: string, extra: Partial<{ expectedOrigin: string; expectedRpId: string; requireUserVerification: boolean }> = {}) => ({
  expectedChallenge: challenge,
  expectedOrigin: ORIGIN,
  expectedRpId: RP_ID,
  requireUserVerification: false,
  ...extra,
});

describe("verifyRegistration", () => {
  for (const alg of [-7, -257] as const) {
    it(`accepts a genuine ${alg === -7 ? "ES256" : "RS256"} registration, and the stored credential then signs in`, async () => {
      const auth = await SoftAuthenticator.create(alg);
      const challenge = randomChallenge();
      const response = await auth.register({ challenge, flags: FLAG.UP | FLAG.UV | FLAG.BE | FLAG.BS | FLAG.AT, transports: ["internal", "hybrid", "BAD value"] });
      const result = await verifyRegistration({ response, ...expected(challenge, { requireUserVerification: true }) });
      expect(result).toEqual({
        credentialId: b64url(auth.credentialId),
        publicKey: b64url(auth.coseKey),
        alg,
        signCount: 0,
        userVerified: true,
        backupEligible: true,
        backedUp: true,
        transports: ["internal", "hybrid"],
      });

      const signInChallenge = randomChallenge();
      const assertion = await auth.authenticate({ challenge: signInChallenge });
      const signedIn = await verifyAuthentication({ response: assertion, ...expected(signInChallenge), credential: { id: result.credentialId, publicKey: result.publicKey, signCount: result.signCount } });
      expect(signedIn.newSignCount).toBe(1);
    });
  }

  it("accepts a registration without user verification when it is not required, and says so", async () => {
    const auth = await SoftAuthenticator.create(-7);
    const challenge = randomChallenge();
    const result = await verifyRegistration({ response: await auth.register({ challenge, flags: FLAG.UP | FLAG.AT }), ...expected(challenge) });
    expect(result.userVerified).toBe(false);
    expect(result.backedUp).toBe(false);
  });

  it("refuses each failed check with its reason, and no message repeats what the client sent", async () => {
    const auth = await SoftAuthenticator.create(-7);
    const challenge = randomChallenge();
    const other = await SoftAuthenticator.create(-7);
    const edKey = cbor(new Map<number, Encodable>([[1, 1], [3, -8], [-1, 6], [-2, new Uint8Array(32).fill(3)]]));
    const register = (c: Parameters<SoftAuthenticator["register"]>[0]) => auth.register(c);
    const cases: [string, () => Promise<unknown>, string][] = [
      ["another challenge", async () => register({ challenge: randomChallenge() }), "challenge_mismatch"],
      ["another origin", async () => register({ challenge, origin: "https://evil.example" }), "origin_mismatch"],
      ["an origin differing only by port", async () => register({ challenge, origin: "http://localhost:8788" }), "origin_mismatch"],
      ["a credential for another rpId", async () => register({ challenge, rpId: "evil.example" }), "rp_id_mismatch"],
      ["user not present", async () => register({ challenge, flags: FLAG.UV | FLAG.AT }), "user_not_present"],
      ["an assertion instead of a creation", async () => register({ challenge, type: "webauthn.get" }), "type_mismatch"],
      ["a cross-origin iframe", async () => register({ challenge, crossOrigin: true }), "cross_origin"],
      ["fmt packed", async () => register({ challenge, fmt: "packed", attStmt: new Map<string, Encodable>([["alg", -7], ["sig", new Uint8Array(70)]]) }), "unsupported_format"],
      ["fmt fido-u2f", async () => register({ challenge, fmt: "fido-u2f" }), "unsupported_format"],
      ["fmt none with a statement", async () => register({ challenge, attStmt: new Map<string, Encodable>([["sig", new Uint8Array(70)]]) }), "malformed"],
      ["an EdDSA key", async () => register({ challenge, coseKey: edKey }), "unsupported_algorithm"],
      ["authData naming another credential", async () => register({ challenge, authDataCredentialId: other.credentialId }), "credential_id_mismatch"],
      ["rawId naming another credential", async () => ({ ...(await register({ challenge })), rawId: b64url(other.credentialId), id: b64url(other.credentialId) }), "credential_id_mismatch"],
      ["id differing from rawId", async () => ({ ...(await register({ challenge })), id: b64url(other.credentialId) }), "credential_id_mismatch"],
      ["no attested credential", async () => register({ challenge, flags: FLAG.UP | FLAG.UV, omitAttested: true }), "malformed"],
      ["attested credential behind a cleared AT flag", async () => register({ challenge, flags: FLAG.UP | FLAG.UV }), "malformed"],
      ["type not public-key", async () => ({ ...(await register({ challenge })), type: "password" }), "malformed"],
      ["attestationObject not CBOR", async () => {
        const r = await register({ challenge });
        return { ...r, response: { ...r.response, attestationObject: mutate(r.response.attestationObject, (d) => d.subarray(0, d.length - 3)) } };
      }, "malformed"],
      ["clientDataJSON not JSON", async () => {
        const r = await register({ challenge });
        return { ...r, response: { ...r.response, clientDataJSON: b64url(utf8("{not json")) } };
      }, "malformed"],
      ["not an object at all", async () => "credential", "malformed"],
    ];
    for (const [name, build, reason] of cases) {
      const response = await build();
      const secrets = typeof response === "object" ? [challenge, (response as { rawId: string }).rawId, (response as { response: { clientDataJSON: string } }).response.clientDataJSON] : [];
      expect(await refusal(() => verifyRegistration({ response, ...expected(challenge) }), secrets), name).toBe(reason);
    }
  });

  it("refuses a registration without user verification when it is required", async () => {
    const auth = await SoftAuthenticator.create(-257);
    const challenge = randomChallenge();
    const response = await auth.register({ challenge, flags: FLAG.UP | FLAG.AT });
    expect(await refusal(() => verifyRegistration({ response, ...expected(challenge, { requireUserVerification: true }) }))).toBe("user_not_verified");
  });

  it("refuses a registration whose authData was tampered with (the rpIdHash no longer matches)", async () => {
    const auth = await SoftAuthenticator.create(-7);
    const challenge = randomChallenge();
    const genuine = await auth.register({ challenge });
    // Without attestation nothing signs authData at registration; what protects it is the TLS
    // channel and the checks: a flipped rpIdHash bit is another relying party.
    const attestation = genuine.response.attestationObject;
    const flipped = mutate(attestation, (d) => {
      const at = d.length - auth.coseKey.length - 16 - 2 - auth.credentialId.length - 37; // start of authData
      d[at]! ^= 1;
    });
    expect(await refusal(() => verifyRegistration({ response: { ...genuine, response: { ...genuine.response, attestationObject: flipped } }, ...expected(challenge) }))).toBe("rp_id_mismatch");
  });
});
