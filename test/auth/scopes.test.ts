import { describe, expect, it } from "vitest";
import { scopesForNewKey } from "../../src/auth/key-rules";
import { operatorPrincipal, type Principal } from "../../src/auth/principal";
import { effectiveScopes, isManagementScope, missingScopes } from "../../src/auth/scopes";

const keyCaller = (scopes: string[]) => ({ kind: "key", actor: "key_x", scopes }) as unknown as Principal;

describe("scope math", () => {
  it("filters a key's scopes by its user's permissions (Partoo), and not at all without a user", () => {
    expect(effectiveScopes(["business_edit", "business_edit_name"], ["business_edit"])).toEqual(["business_edit"]);
    expect(effectiveScopes(["a", "b"], null)).toEqual(["a", "b"]);
    expect(effectiveScopes(["a"], [])).toEqual([]);
  });

  it("reports exactly the scopes not held", () => {
    expect(missingScopes(["a", "b", "b"], ["a"])).toEqual(["b"]);
    expect(missingScopes([], [])).toEqual([]);
  });

  it("treats keys:*, users:* and audit:read as management scopes", () => {
    for (const s of ["keys:read", "keys:write", "keys:verify", "users:read", "users:write", "audit:read"]) {
      expect(isManagementScope(s)).toBe(true);
    }
    for (const s of ["charges:read", "keysread", "audit:write:other", "business_edit"]) expect(isManagementScope(s)).toBe(false);
  });

  it("gives a scope-less new key its partner's scopes, capped by the creating key and by type", () => {
    const partner = ["keys:write", "charges:read", "charges:write"];
    expect(scopesForNewKey(operatorPrincipal, "secret", undefined, partner)).toEqual(partner);
    expect(scopesForNewKey(keyCaller(["keys:write", "charges:read"]), "secret", undefined, partner)).toEqual([
      "keys:write",
      "charges:read",
    ]);
    expect(scopesForNewKey(operatorPrincipal, "publishable", undefined, partner)).toEqual(["charges:read", "charges:write"]);
  });

  it("refuses explicit scopes beyond the creator's and management scopes on publishable keys", () => {
    expect(() => scopesForNewKey(keyCaller(["keys:write"]), "secret", ["charges:read"], [])).toThrow(/scope_escalation/);
    expect(() => scopesForNewKey(operatorPrincipal, "publishable", ["keys:read"], [])).toThrow(/validation_error/);
  });
});
