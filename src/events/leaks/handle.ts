import { keyPrefix } from "../../config";
import type { AuditContext } from "../../db/audit";
import { getKey, leakWrite, loadKeyAuthRecord, type KeyAuthRecord } from "../../db/keys";
import type { Bindings } from "../../env";
import { liveSecretHashes, matchingHash, pepperOf } from "../../auth/verify-key";
import { verifiedDigest } from "../../keys/crypto";
import { hasValidChecksum, parseKey } from "../../keys/format";
import { now as clockNow } from "../../lib/clock";
import { isPast } from "../../lib/time";
import { commitMutation } from "../commit";
import { tokenHash, type LeakReport, type LeakVerdict } from "./report";

/** How a report was received: only a correctly signed one may revoke. */
export interface ReportOrigin {
  signed: boolean;
  audit: AuditContext;
}

/** A real key the report holds, and the secret it matched. */
interface Found {
  record: KeyAuthRecord;
  /** Whether the matched secret is still accepted (the current one, or the previous one in its grace period). */
  live: boolean;
}

/**
 * Answers a leak report (DESIGN §9): each distinct token once, in the order first reported, labelled
 * `true_positive` when it is a real key of this deployment (its tag genuine, and its secret the
 * key's current or previous one; for an unsigned report, only a key that would admit it today),
 * else `false_positive`. Noise dies before any storage read: a
 * checksummed key's checksum and every key's tag are CPU checks. Each real key is flagged and,
 * when `origin.signed` and its partner's `leak_action` is `revoke`, revoked (leakWrite, one batch
 * each); only the labels come back, so a report tells nothing about a key beyond what the
 * reporter already holds.
 */
export async function handleReport(env: Bindings, report: LeakReport, origin: ReportOrigin): Promise<LeakVerdict[]> {
  const verdicts: LeakVerdict[] = [];
  const seen = new Set<string>();
  for (const item of report) {
    if (seen.has(item.token)) continue;
    seen.add(item.token);
    const found = await findKey(env, item.token);
    // Anyone may send an unsigned report: it learns no more than the token itself would tell it at
    // GET /v1/me/key (a usable key or nothing), and its words (source, url) reach nobody.
    const heard = found && (origin.signed || usable(found)) ? found : null;
    const where = origin.signed ? { source: item.source ?? null, url: item.url ?? null, signed: true } : { source: null, url: null, signed: false };
    if (heard) await applyLeak(env, heard, where, origin);
    verdicts.push({ token_hash: await tokenHash(item.token), token_type: item.type, label: heard ? "true_positive" : "false_positive" });
  }
  return verdicts;
}

/** Whether the key would admit this secret today: live, not revoked, not expired. */
const usable = ({ record, live }: Found) => live && record.key.revoked_at === null && !isPast(record.key.expires_at, clockNow());

/** The key a token is, or null; storage is read only for a token whose tag is genuine. */
async function findKey(env: Bindings, token: string): Promise<Found | null> {
  const parsed = parseKey(token, keyPrefix(env));
  if (!parsed) return null;
  // A checksummed key's public checksum first: the cheapest test, and what a scanner checks too.
  if (parsed.format === "checksummed" && !hasValidChecksum(token)) return null;
  const digest = await verifiedDigest(pepperOf(env), parsed);
  if (!digest) return null;
  const record = await loadKeyAuthRecord(env.DB, parsed.keyId);
  if (!record || record.key.type !== parsed.type) return null;
  const { key } = record;
  const stored = key.previous_secret_hash === null ? [key.secret_hash] : [key.secret_hash, key.previous_secret_hash];
  if (!matchingHash(digest, stored)) return null;
  return { record, live: matchingHash(digest, liveSecretHashes(record, clockNow())) !== null };
}

/**
 * Flags the key, and revokes it when the report may: signed, the partner's `leak_action` is
 * `revoke`, the key is not publishable (public by design) and the leaked secret still works (a
 * secret rotated out and past its grace period opens nothing). A repeated report writes nothing;
 * a signed one after an unsigned one may still revoke.
 */
async function applyLeak(env: Bindings, { record, live }: Found, where: { source: string | null; url: string | null; signed: boolean }, origin: ReportOrigin) {
  const { key, partner } = record;
  const revoke = origin.signed && partner.leak_action === "revoke" && key.type !== "publishable" && live && key.revoked_at === null;
  if (!revoke && key.leaked_at !== null) return;
  const written = await commitMutation(env, leakWrite(env.DB, origin.audit, key, { ...where, revoke }));
  if (written || !revoke) return;
  // Revoked by someone else meanwhile: the flag is still owed.
  const current = await getKey(env.DB, key.id);
  if (current && current.leaked_at === null) await commitMutation(env, leakWrite(env.DB, origin.audit, current, { ...where, revoke: false }));
}
