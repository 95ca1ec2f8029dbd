import { describe, expect, it } from "vitest";
import { parseAuthenticatorData } from "../../../src/dashboard/webauthn/authenticator-data";
import { FLAG, RP_ID, SoftAuthenticator, authenticatorData, bytes, cbor, refusal, sha256, utf8 } from "./authenticator";

// Authenticator data says which site a credential is for, whether the user was there, the
// counter, and (at registration) the credential and its key. Misreading any of it is a bypass.

describe("authenticator data", () => {
  it("reads rpIdHash, every flag, a big-endian counter, the credential and its COSE key, and extensions", async () => {
    const auth = await SoftAuthenticator.create(-7);
    const extensions = cbor(new Map([["credProtect", 2]]));
    const data = await authenticatorData({
      rpId: RP_ID,
      flags: FLAG.UP | FLAG.UV | FLAG.BE | FLAG.BS | FLAG.AT | FLAG.ED,
      signCount: 0x01020304,
      attested: { credentialId: auth.credentialId, coseKey: auth.coseKey },
      extensions,
    });
    const parsed = parseAuthenticatorData(data);
    expect(parsed.rpIdHash).toEqual(await sha256(utf8(RP_ID)));
    expect(parsed.flags).toEqual({ userPresent: true, userVerified: true, backupEligible: true, backedUp: true, attestedCredentialData: true, extensionData: true });
    expect(parsed.signCount).toBe(0x01020304);
    expect(parsed.attestedCredential?.aaguid).toEqual(new Uint8Array(16).fill(0xaa));
    expect(parsed.attestedCredential?.credentialId).toEqual(auth.credentialId);
    // The exact COSE bytes, not a re-encoding: what gets stored is what the authenticator signed over.
    expect(parsed.attestedCredential?.publicKeyBytes).toEqual(auth.coseKey);
    expect(parsed.attestedCredential?.publicKey.get(3)).toBe(-7);
    expect(parsed.extensions).toEqual(new Map([["credProtect", 2]]));
  });

  it("reads assertion data (no attested credential): flags off, counter up to 2^32 - 1", async () => {
    const parsed = parseAuthenticatorData(await authenticatorData({ rpId: RP_ID, flags: 0, signCount: 0xffffffff }));
    expect(parsed.flags.userPresent).toBe(false);
    expect(parsed.flags.userVerified).toBe(false);
    expect(parsed.signCount).toBe(0xffffffff);
    expect(parsed.attestedCredential).toBeUndefined();
  });

  it("refuses data that is short, truncated, left over, or contradicts its flags", async () => {
    const auth = await SoftAuthenticator.create(-7);
    const attested = { credentialId: auth.credentialId, coseKey: auth.coseKey };
    const full = await authenticatorData({ rpId: RP_ID, flags: FLAG.UP | FLAG.AT, signCount: 1, attested });
    const plain = await authenticatorData({ rpId: RP_ID, flags: FLAG.UP, signCount: 1 });
    const cases: Record<string, Uint8Array> = {
      "36 bytes": plain.subarray(0, 36),
      "AT set, nothing attested": await authenticatorData({ rpId: RP_ID, flags: FLAG.UP | FLAG.AT, signCount: 1 }),
      "credential id cut short": full.subarray(0, 37 + 18 + 10),
      "COSE key cut short": full.subarray(0, full.length - 1),
      "bytes after the key without ED": bytes(full, [0x00]),
      "bytes after the header without AT or ED": bytes(plain, [0xa0]),
      "ED set, no extensions": await authenticatorData({ rpId: RP_ID, flags: FLAG.UP | FLAG.ED, signCount: 1 }),
      "extensions not a map": await authenticatorData({ rpId: RP_ID, flags: FLAG.UP | FLAG.ED, signCount: 1, extensions: cbor([1]) }),
      "backed up but not backup eligible": await authenticatorData({ rpId: RP_ID, flags: FLAG.UP | FLAG.BS, signCount: 1 }),
      "empty credential id": await authenticatorData({ rpId: RP_ID, flags: FLAG.UP | FLAG.AT, signCount: 1, attested: { credentialId: new Uint8Array(), coseKey: auth.coseKey } }),
      "credential id over 1023 bytes": await authenticatorData({ rpId: RP_ID, flags: FLAG.UP | FLAG.AT, signCount: 1, attested: { credentialId: new Uint8Array(1024), coseKey: auth.coseKey } }),
      "public key not a map": await authenticatorData({ rpId: RP_ID, flags: FLAG.UP | FLAG.AT, signCount: 1, attested: { credentialId: auth.credentialId, coseKey: cbor([1, 2]) } }),
    };
    for (const [name, data] of Object.entries(cases)) expect(await refusal(() => parseAuthenticatorData(data)), name).toBe("malformed");
  });
});
