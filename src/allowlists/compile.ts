import type { KeyAuthRecord } from "../db/keys";
import { agentAllowed } from "./agent";
import { ipAllowed, parseIp, parseNetwork, type Network } from "./ip";
import { originAllowed } from "./origin";

export type AllowlistRefusal = "origin_not_allowed" | "ip_not_allowed" | "agent_not_allowed";

/** What a request says about where it comes from, taken only from headers the edge vouches for. */
export interface RequestFacts {
  origin: string | null;
  /** `CF-Connecting-IP` only: X-Forwarded-For and friends are client-controlled. */
  ip: string | null;
  userAgent: string | null;
}

export interface CompiledAllowlists {
  origins: readonly string[];
  networks: readonly Network[];
  agents: readonly string[];
}

// Compiled once per cached record object, so the hot path never re-parses CIDRs.
const compiled = new WeakMap<KeyAuthRecord, CompiledAllowlists>();

/** The key's own lists, else its partner's (partners carry origins only). Pure. */
export function allowlistsOf(record: KeyAuthRecord): CompiledAllowlists {
  let guards = compiled.get(record);
  if (!guards) {
    const { key, partner } = record;
    guards = {
      origins: key.allowed_origins.length > 0 ? key.allowed_origins : partner.allowed_origins,
      networks: key.allowed_ips.map(parseNetwork).filter((n): n is Network => n !== null),
      agents: key.allowed_agents,
    };
    compiled.set(record, guards);
  }
  return guards;
}

/** The first rule the request breaks, or null. */
export function checkAllowlists(guards: CompiledAllowlists, facts: RequestFacts): AllowlistRefusal | null {
  if (!originAllowed(facts.origin, guards.origins)) return "origin_not_allowed";
  if (guards.networks.length > 0) {
    const ip = facts.ip === null ? null : parseIp(facts.ip);
    if (!ip || !ipAllowed(ip, guards.networks)) return "ip_not_allowed";
  }
  if (!agentAllowed(facts.userAgent, guards.agents)) return "agent_not_allowed";
  return null;
}
