import { claimDelivery, getDelivery, noteOutcome, queueRetry, recordAttempt, type AttemptResult, type Delivery } from "../../db/deliveries";
import { getEvent } from "../../db/outbox";
import { getWebhook, webhookWrites, type Webhook } from "../../db/webhooks";
import type { Bindings } from "../../env";
import { now } from "../../lib/clock";
import { nowIso } from "../../lib/time";
import { commitMutation } from "../commit";
import { webhookData } from "./body";
import { allowLocalTargets, DELIVERY_CLAIM_MS, DISABLE_AFTER_MS, retryDelays } from "./config";
import { sendDeliveries } from "./fan-out";
import { postToReceiver, type PostOutcome } from "./post";
import { openSecret } from "./sealed";
import { signedHeaders } from "./signature";
import { webhookTarget } from "./target";

/**
 * The consumer's `deliver` step: one attempt to POST one event to one endpoint (Standard Webhooks).
 * The attempt is claimed first, so of two messages for it one POSTs. Its result, the retry it
 * calls for (after WEBHOOK_RETRY_DELAYS) and the endpoint's failure record commit in one batch;
 * the retry's message follows (the sweep re-sends it should that send fail). An endpoint failing
 * for DISABLE_AFTER_MS is disabled, audited as `webhook.disabled`. True when done; a failure
 * throws, and the queue retries the message.
 */
export async function deliver(env: Bindings, deliveryId: string): Promise<boolean> {
  const at = now();
  const claimed = await claimDelivery(env.DB, deliveryId, nowIso(at), nowIso(at + DELIVERY_CLAIM_MS));
  if (!claimed) return waitIfEarly(env, deliveryId, at);
  const [hook, event] = await Promise.all([getWebhook(env.DB, claimed.webhook_id), getEvent(env.DB, claimed.event_id)]);
  const refusal = !hook ? "endpoint_deleted" : hook.status !== "enabled" ? "endpoint_disabled" : !event ? "event_expired" : null;
  if (refusal || !hook || !event) {
    await recordAttempt(env.DB, claimed.id, { ...noAnswer(refusal ?? "event_expired"), at: nowIso() }).run();
    return true;
  }
  const target = webhookTarget(hook.url, { allowLocal: allowLocalTargets(env) });
  const body = JSON.stringify({ type: event.type, timestamp: event.occurred_at, data: await webhookData(env, event) });
  const outcome = target.ok
    ? await postToReceiver(target.url, body, await signedHeaders(await liveSecrets(env, hook, at), { id: event.id, body, timestamp: Math.floor(at / 1000) }))
    : noAnswer("target_refused");
  await settle(env, claimed, hook, outcome);
  return true;
}

async function settle(env: Bindings, d: Delivery, hook: Webhook, outcome: PostOutcome) {
  const ended = now();
  const failingFor = hook.failing_since === null ? 0 : ended - Date.parse(hook.failing_since);
  const disabling = !outcome.ok && failingFor >= DISABLE_AFTER_MS;
  const delays = retryDelays(env);
  const retryIn = !outcome.ok && !disabling && d.attempt <= delays.length ? delays[d.attempt - 1]! : null;
  const retry = retryIn === null ? null : queueRetry(env.DB, d, nowIso(ended + retryIn * 1000));
  const result: AttemptResult = { ...outcome, at: nowIso(ended), next_retry_at: retry ? nowIso(ended + retryIn! * 1000) : null };
  await env.DB.batch([recordAttempt(env.DB, d.id, result), noteOutcome(env.DB, hook.id, outcome.ok, nowIso(ended)), ...(retry ? [retry.statement] : [])]);
  if (disabling) {
    const ctx = { actor: "keyward", actorName: "Keyward", requestId: d.id, at: nowIso(ended) };
    const days = Math.floor(DISABLE_AFTER_MS / 86_400_000);
    await commitMutation(env, webhookWrites.disable(env.DB, ctx, hook, `Every attempt failed for ${days} days (since ${hook.failing_since}).`));
  }
  if (retry) await sendDeliveries(env, [retry.id], retryIn!).catch(() => undefined);
}

/** The secrets that sign: the current one, and the previous one during its 24 h after a rotation. */
async function liveSecrets(env: Bindings, hook: Webhook, at: number): Promise<string[]> {
  if (!env.KEY_PEPPER) throw new Error("KEY_PEPPER is not set: webhook secrets cannot be opened");
  const secrets = [await openSecret(env.KEY_PEPPER, hook.id, hook.secret)];
  if (hook.previous_secret && hook.previous_secret_expires_at && Date.parse(hook.previous_secret_expires_at) > at) {
    secrets.push(await openSecret(env.KEY_PEPPER, hook.id, hook.previous_secret));
  }
  return secrets;
}

const noAnswer = (error: string): PostOutcome & Pick<AttemptResult, "next_retry_at"> => ({
  status_code: null,
  ok: false,
  error,
  response_excerpt: null,
  next_retry_at: null,
});

/**
 * A message for an attempt that is not claimable: done, held by a live sender, or not due yet (a
 * delay longer than a queue message may wait arrives early, and waits again for the rest).
 */
async function waitIfEarly(env: Bindings, deliveryId: string, at: number): Promise<boolean> {
  const d = await getDelivery(env.DB, deliveryId);
  if (d?.state === "queued" && Date.parse(d.scheduled_at) > at) await sendDeliveries(env, [d.id], (Date.parse(d.scheduled_at) - at) / 1000);
  return true;
}
