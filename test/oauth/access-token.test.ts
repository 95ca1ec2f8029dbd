import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mintKey } from "../../src/keys/crypto";
import { ACCESS_TOKEN_TTL_SECONDS, issueAccessToken, looksLikeAccessToken, readAccessToken, secretBinding } from "../../src/oauth/access-token";

const PEPPER = "test-pepper";
const keyId = fc.stringMatching(/^key_[0-9A-Za-z]{16}$/);
const scopes = fc.uniqueArray(fc.stringMatching(/^[a-z]{1,8}:[a-z]{1,8}$/), { maxLength: 6 });
const hash = fc.stringMatching(/^[0-9a-f]{64}$/);

describe("access tokens", () => {
  it("read back exactly the claims they were issued with: subject, scopes, lifetime and the binding to their secret", async () => {
    await fc.assert(
      fc.asyncProperty(keyId, hash, scopes, async (sub, secretHash, scope) => {
        const now = Date.now();
        const { token, claims } = await issueAccessToken(PEPPER, sub, secretHash, scope, now);
        const read = await readAccessToken(PEPPER, token);
        expect(read).toEqual(claims);
        expect(read!.sub).toBe(sub);
        expect(read!.scope.split(" ").filter(Boolean)).toEqual(scope);
        expect(read!.exp - read!.iat).toBe(ACCESS_TOKEN_TTL_SECONDS);
        expect(read!.sec).toBe(await secretBinding(secretHash));
      }),
      { numRuns: 30 },
    );
  });

  it("never carry the stored secret hash itself, in the token or its claims", async () => {
    await fc.assert(
      fc.asyncProperty(keyId, hash, async (sub, secretHash) => {
        const { token, claims } = await issueAccessToken(PEPPER, sub, secretHash, []);
        const payload = atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"));
        expect(token).not.toContain(secretHash);
        expect(payload).not.toContain(secretHash);
        expect(JSON.stringify(claims)).not.toContain(secretHash);
      }),
      { numRuns: 20 },
    );
  });

  it("are refused when signed under another pepper, altered in any character of their payload, or expired", async () => {
    const { token } = await issueAccessToken(PEPPER, "key_AAAAAAAAAAAAAAAA", "a".repeat(64), ["keys:read"]);
    expect(await readAccessToken("another-pepper", token)).toBeNull();
    const [header, payload, signature] = token.split(".") as [string, string, string];
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: payload.length - 1 }), fc.constantFrom(..."ABCxyz019-_"), async (at, replacement) => {
        fc.pre(payload[at] !== replacement);
        const altered = `${header}.${payload.slice(0, at)}${replacement}${payload.slice(at + 1)}.${signature}`;
        expect(await readAccessToken(PEPPER, altered)).toBeNull();
      }),
      { numRuns: 30 },
    );
    const issuedLongAgo = Date.now() - (ACCESS_TOKEN_TTL_SECONDS + 60) * 1000;
    const expired = await issueAccessToken(PEPPER, "key_AAAAAAAAAAAAAAAA", "a".repeat(64), [], issuedLongAgo);
    expect(await readAccessToken(PEPPER, expired.token)).toBeNull();
  });

  it("bind to one secret: two stored hashes never share a binding", async () => {
    await fc.assert(
      fc.asyncProperty(hash, hash, async (a, b) => {
        fc.pre(a !== b);
        expect(await secretBinding(a)).not.toBe(await secretBinding(b));
      }),
      { numRuns: 30 },
    );
  });

  it("are told apart from keys by shape alone: no key of any type looks like a token, every token does", async () => {
    for (const type of ["secret", "publishable", "tokenization", "personal"] as const) {
      for (let i = 0; i < 5; i++) expect(looksLikeAccessToken((await mintKey(PEPPER, "kw", type)).full), type).toBe(false);
    }
    const { token } = await issueAccessToken(PEPPER, "key_AAAAAAAAAAAAAAAA", "a".repeat(64), []);
    expect(looksLikeAccessToken(token)).toBe(true);
  });
});
