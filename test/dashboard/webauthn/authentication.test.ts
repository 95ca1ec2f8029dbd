import { describe, expect, it } from "vitest";
import { verifyAuthentication, verifyRegistration, type StoredCredential } from "../../../src/dashboard/webauthn";
import { FLAG, ORIGIN, RP_ID, SoftAuthenticator, b64url, mutate, randomChallenge, refusal, utf8 } from "./authenticator";

// Signing in with a passkey: only the holder of the private key, on our origin, for our rpId,
// answering this challenge, with a counter that moves forward, gets in.

type Options = Partial<{ expectedOrigin: string; expectedRpId: string; requireUserVerification: boolean }>;
const expected = (challenge: string, extra: Options = {}) => ({ expectedChallenge: challenge, expectedOrigin: ORIGIN, expectedRpId: RP_ID, requireUserVerification: false, ...extra });

/** A registered authenticator and the credential the server stored for it. */
async function registered(alg: -7 | -257, options: { counts?: boolean } = {}) {
  const auth = await SoftAuthenticator.create(alg, options);
  const challenge = randomChallenge();
  const reg = await verifyRegistration({ response: await auth.register({ challenge }), ...expected(challenge) });
  const credential: StoredCredential = { id: reg.credentialId, publicKey: reg.publicKey, signCount: reg.signCount };
  return { auth, credential };
}

describe("verifyAuthentication", () => {
  for (const alg of [-7, -257] as const) {
    it(`signs in with an ${alg === -7 ? "ES256" : "RS256"} passkey, and again with the counter it returned`, async () => {
      const { auth, credential } = await registered(alg);
      const userHandle = crypto.getRandomValues(new Uint8Array(16));
      let challenge = randomChallenge();
      const first = await verifyAuthentication({ response: await auth.authenticate({ challenge, userHandle }), ...expected(challenge, { requireUserVerification: true }), credential });
      expect(first).toEqual({ newSignCount: 1, userHandle: b64url(userHandle), userVerified: true, backedUp: false });
      challenge = randomChallenge();
      const second = await verifyAuthentication({ response: await auth.authenticate({ challenge }), ...expected(challenge), credential: { ...credential, signCount: first.newSignCount } });
      expect(second.newSignCount).toBe(2);
      expect(second.userHandle).toBeNull();
    });
  }

  it("signs in with a passkey that keeps no counter (always 0), again and again", async () => {
    const { auth, credential } = await registered(-7, { counts: false });
    for (let i = 0; i < 3; i++) {
      const challenge = randomChallenge();
      expect((await verifyAuthentication({ response: await auth.authenticate({ challenge }), ...expected(challenge), credential })).newSignCount).toBe(0);
    }
  });

  it("signs in without user verification when it is not required, and refuses it when it is", async () => {
    const { auth, credential } = await registered(-7);
    const challenge = randomChallenge();
    const response = await auth.authenticate({ challenge, flags: FLAG.UP });
    expect((await verifyAuthentication({ response, ...expected(challenge), credential })).userVerified).toBe(false);
    expect(await refusal(() => verifyAuthentication({ response, ...expected(challenge, { requireUserVerification: true }), credential }))).toBe("user_not_verified");
  });

  for (const alg of [-7, -257] as const) {
    it(`refuses each failed check with its reason (${alg === -7 ? "ES256" : "RS256"}), and no message repeats what the client sent`, async () => {
      const { auth, credential } = await registered(alg);
      const challenge = randomChallenge();
      const otherPair = (await crypto.subtle.generateKey(
        alg === -7 ? { name: "ECDSA", namedCurve: "P-256" } : { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
        false,
        ["sign", "verify"],
      )) as CryptoKeyPair;
      const genuine = () => auth.authenticate({ challenge });
      const withResponse = async (change: (r: Awaited<ReturnType<typeof genuine>>["response"]) => object) => {
        const r = await genuine();
        return { ...r, response: { ...r.response, ...change(r.response) } };
      };
      const cases: [string, () => Promise<unknown>, string][] = [
        ["another challenge", () => auth.authenticate({ challenge: randomChallenge() }), "challenge_mismatch"],
        ["another origin", () => auth.authenticate({ challenge, origin: "https://evil.example" }), "origin_mismatch"],
        ["https instead of http", () => auth.authenticate({ challenge, origin: "https://localhost:8787" }), "origin_mismatch"],
        ["another rpId", () => auth.authenticate({ challenge, rpId: "evil.example" }), "rp_id_mismatch"],
        ["user not present", () => auth.authenticate({ challenge, flags: FLAG.UV }), "user_not_present"],
        ["a creation instead of an assertion", () => auth.authenticate({ challenge, type: "webauthn.create" }), "type_mismatch"],
        ["a cross-origin iframe", () => auth.authenticate({ challenge, crossOrigin: true }), "cross_origin"],
        ["signed by another key", () => auth.authenticate({ challenge, signWith: otherPair.privateKey }), "bad_signature"],
        ["a signature with one bit flipped", () => withResponse((r) => ({ signature: mutate(r.signature, (d) => void (d[d.length - 1]! ^= 1)) })), "bad_signature"],
        ["an empty signature", () => withResponse(() => ({ signature: "" })), "bad_signature"],
        ["authData counter raised after signing", () => withResponse((r) => ({ authenticatorData: mutate(r.authenticatorData, (d) => void (d[36]! ^= 0x10)) })), "bad_signature"],
        ["UV flag added after signing", async () => {
          const r = await auth.authenticate({ challenge, flags: FLAG.UP });
          return { ...r, response: { ...r.response, authenticatorData: mutate(r.response.authenticatorData, (d) => void (d[32]! |= FLAG.UV)) } };
        }, "bad_signature"],
        ["clientDataJSON swapped after signing", () => withResponse((r) => ({ clientDataJSON: mutate(r.clientDataJSON, (d) => utf8(new TextDecoder().decode(d).replace('"type"', ' "type"'))) })), "bad_signature"],
        ["another credential's id", () => genuine().then((r) => ({ ...r, id: b64url(new Uint8Array(32).fill(7)), rawId: b64url(new Uint8Array(32).fill(7)) })), "credential_id_mismatch"],
        ["authenticatorData not base64url", () => withResponse(() => ({ authenticatorData: "***" })), "malformed"],
        ["authenticatorData truncated", () => withResponse((r) => ({ authenticatorData: mutate(r.authenticatorData, (d) => d.subarray(0, 36)) })), "malformed"],
        ["no response object", () => genuine().then((r) => ({ ...r, response: null })), "malformed"],
      ];
      for (const [name, build, reason] of cases) {
        const response = (await build()) as { rawId: string; response: { clientDataJSON?: string } | null };
        const secrets = [challenge, credential.publicKey, response.rawId, response.response?.clientDataJSON ?? ""];
        const got = await refusal(() => verifyAuthentication({ response, ...expected(challenge), credential }), secrets).catch((e: Error) => `${name}: ${e.message}`);
        expect(got, name).toBe(reason);
      }
    });
  }

  it("refuses a counter that did not move forward (a cloned authenticator or a replay), and a counter that fell to zero", async () => {
    const { auth, credential } = await registered(-7);
    const sign = async (signCount: number) => {
      const challenge = randomChallenge();
      return { response: await auth.authenticate({ challenge, signCount }), ...expected(challenge) };
    };
    expect((await verifyAuthentication({ ...(await sign(6)), credential: { ...credential, signCount: 5 } })).newSignCount).toBe(6);
    expect((await verifyAuthentication({ ...(await sign(5)), credential: { ...credential, signCount: 0 } })).newSignCount).toBe(5);
    expect(await refusal(async () => verifyAuthentication({ ...(await sign(5)), credential: { ...credential, signCount: 5 } }))).toBe("counter_regressed");
    expect(await refusal(async () => verifyAuthentication({ ...(await sign(4)), credential: { ...credential, signCount: 5 } }))).toBe("counter_regressed");
    // A clone that reports 0 must not dodge the check (WebAuthn §7.2 step 21: either counter non-zero).
    expect(await refusal(async () => verifyAuthentication({ ...(await sign(0)), credential: { ...credential, signCount: 5 } }))).toBe("counter_regressed");
  });

  it("refuses the same assertion presented twice once its counter was stored", async () => {
    const { auth, credential } = await registered(-257);
    const challenge = randomChallenge();
    const response = await auth.authenticate({ challenge });
    const { newSignCount } = await verifyAuthentication({ response, ...expected(challenge), credential });
    expect(await refusal(() => verifyAuthentication({ response, ...expected(challenge), credential: { ...credential, signCount: newSignCount } }))).toBe("counter_regressed");
  });

  it("refuses an ES256 signature re-encoded with a superfluous leading zero (strict DER)", async () => {
    const { auth, credential } = await registered(-7);
    const challenge = randomChallenge();
    const r = await auth.authenticate({ challenge });
    const padded = mutate(r.response.signature, (d) => {
      // SEQUENCE { INTEGER r, … }: prepend 0x00 to r and fix both lengths.
      const rLen = d[3]!;
      return new Uint8Array([0x30, d[1]! + 1, 0x02, rLen + 1, 0x00, ...d.subarray(4)]);
    });
    const response = { ...r, response: { ...r.response, signature: padded } };
    expect(await refusal(() => verifyAuthentication({ response, ...expected(challenge), credential }))).toBe("bad_signature");
  });

  it("refuses a stored credential whose key is not one we accept", async () => {
    const { auth, credential } = await registered(-7);
    const challenge = randomChallenge();
    const response = await auth.authenticate({ challenge });
    expect(await refusal(() => verifyAuthentication({ response, ...expected(challenge), credential: { ...credential, publicKey: b64url(utf8("garbage")) } }))).toBe("malformed");
  });
});
