import type { Limit, Tier } from "../config";
import { parseNetwork, type Network } from "../allowlists/ip";
import type { FieldError } from "../lib/problem";

/**
 * DESIGN §3a, as pure rules (no I/O): a key never gains, and never hands out, more than it holds.
 *
 * A key caller's authority is what it may use right now: its effective scopes (after its user's
 * permissions and its access token's narrowing), its effective resources and origins (its own
 * list, else its partner's), its IP and agent lists (empty: unrestricted), its expiry, its tier
 * and its credits. A key it creates, edits or rotates — itself included — must fit inside that
 * authority in every dimension: rotation hands out a full secret, so scopes alone are no fence.
 */
export interface Authority {
  scopes: readonly string[];
  resources: readonly string[];
  origins: readonly string[];
  ips: readonly string[];
  agents: readonly string[];
  /** ms; null: never expires. */
  expiresAt: number | null;
  tier: Tier;
  /** null: unlimited. */
  credits: number | null;
}

/** A key as it would stand after the change, with what it inherits from its partner and user. */
export interface KeyShape {
  scopes: readonly string[];
  /** The bound user's permissions (they cap the key's scopes), or null for no user. */
  userPermissions: readonly string[] | null;
  resources: readonly string[];
  allowed_origins: readonly string[];
  allowed_ips: readonly string[];
  allowed_agents: readonly string[];
  expires_at: string | null;
  tier: Tier;
  credits_remaining: number | null;
  partner: { resources: readonly string[]; allowed_origins: readonly string[] };
}

/** A key's own list, else its partner's: what resources and origins it effectively holds. */
export const ownElseInherited = (own: readonly string[], inherited: readonly string[]) => (own.length > 0 ? own : inherited);

const subset = (inner: readonly string[], outer: readonly string[]) => inner.every((x) => outer.includes(x));

/** `inner` lies inside `outer`: same family, at least as long a prefix, and inside its range. */
function networkWithin(inner: Network, outer: Network): boolean {
  return (
    inner.address.kind() === outer.address.kind() &&
    inner.prefix >= outer.prefix &&
    inner.address.match(outer.address as never, outer.prefix)
  );
}

const networks = (entries: readonly string[]) => entries.map(parseNetwork).filter((n): n is Network => n !== null);

/** Every entry of `inner` lies inside some network of `outer` (CIDR containment). */
function ipsWithin(inner: readonly string[], outer: readonly string[]): boolean {
  const outerNets = networks(outer);
  const innerNets = networks(inner);
  return innerNets.length === inner.length && innerNets.every((n) => outerNets.some((o) => networkWithin(n, o)));
}

/** A limit no looser than another: no larger a burst, no faster a rate. */
const limitWithin = (inner: Limit, outer: Limit) =>
  inner.limit <= outer.limit && inner.limit * outer.window_seconds <= outer.limit * inner.window_seconds;

/**
 * A tier no looser than another (DESIGN §10: a tier may hold several limits): every limit of the
 * outer tier is matched by some limit of the inner one that is no looser, so whatever the outer
 * tier caps, the inner one caps at least as tightly.
 */
const tierWithin = (inner: Tier, outer: Tier) => outer.limits.every((o) => inner.limits.some((i) => limitWithin(i, o)));

const effectiveScopesOf = (shape: KeyShape) =>
  shape.userPermissions === null ? shape.scopes : shape.scopes.filter((s) => shape.userPermissions!.includes(s));

/**
 * Where `shape` would be looser than `authority`, one error per dimension (empty: it fits).
 * `self` is the caller editing or rotating itself: its own credits are then no escalation,
 * while another key of a caller with a balance must hold none (a key-created key starts at 0).
 */
export function looserThan(shape: KeyShape, authority: Authority, options: { self: boolean }): FieldError[] {
  const errors: FieldError[] = [];
  const beyond = (path: string, message: string) => errors.push({ path, message });

  const scopes = effectiveScopesOf(shape).filter((s) => !authority.scopes.includes(s));
  if (scopes.length > 0) beyond("scopes", `Beyond the caller's scopes: ${scopes.join(", ")}`);
  if (!subset(ownElseInherited(shape.resources, shape.partner.resources), authority.resources)) {
    beyond("resources", "Must lie within the caller's resources");
  }
  if (!subset(ownElseInherited(shape.allowed_origins, shape.partner.allowed_origins), authority.origins)) {
    beyond("allowed_origins", "Must lie within the caller's allowed origins");
  }
  if (authority.ips.length > 0 && (shape.allowed_ips.length === 0 || !ipsWithin(shape.allowed_ips, authority.ips))) {
    beyond("allowed_ips", "The caller is bound to an IP list: must be a non-empty list inside it");
  }
  if (authority.agents.length > 0 && (shape.allowed_agents.length === 0 || !subset(shape.allowed_agents, authority.agents))) {
    beyond("allowed_agents", "The caller is bound to a User-Agent list: must be a non-empty list inside it");
  }
  if (authority.expiresAt !== null && (shape.expires_at === null || Date.parse(shape.expires_at) > authority.expiresAt)) {
    beyond("expires_at", "Must not expire later than the caller");
  }
  if (!tierWithin(shape.tier, authority.tier)) beyond("rate_limit_tier", "Must not be a looser tier than the caller's");
  if (authority.credits !== null && !options.self && (shape.credits_remaining === null || shape.credits_remaining > 0)) {
    beyond("credits_remaining", "The caller has a credit balance: another key it manages must hold no credits of its own");
  }
  return errors;
}

/** A key may revoke another only if that key's scopes are within its own; itself always. */
export function mayRevoke(shape: KeyShape, authority: Authority, options: { self: boolean }): boolean {
  return options.self || effectiveScopesOf(shape).every((s) => authority.scopes.includes(s));
}
