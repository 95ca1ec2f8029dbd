import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { agentAllowed, productName } from "../../src/allowlists/agent";

describe("agentAllowed", () => {
  it.each(["App", "App/1.2", "App/1.2 (x)", "App (linux)", "  App/2"])("App allows %j", (ua) => {
    expect(agentAllowed(ua, ["App"])).toBe(true);
  });

  it.each(["AppX", "AppX/1.0", "Other App", "Other/1 App/2", "app", "", "/App", "Ap"])("App refuses %j", (ua) => {
    expect(agentAllowed(ua, ["App"])).toBe(false);
  });

  it("refuses a missing User-Agent when there is a list, and allows anything without one", () => {
    expect(agentAllowed(null, ["App"])).toBe(false);
    expect(agentAllowed(null, [])).toBe(true);
    expect(agentAllowed("anything at all", [])).toBe(true);
  });

  it("matches exactly the first product's name, whatever follows it", () => {
    const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
    fc.assert(
      fc.property(token, token, fc.string({ maxLength: 20 }), (allowed, name, rest) => {
        const ua = `${name}/${rest}`;
        return agentAllowed(ua, [allowed]) === (name === allowed) && productName(ua) === name;
      }),
    );
  });
});
