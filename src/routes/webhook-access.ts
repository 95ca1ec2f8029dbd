import { NO_STORE } from "../schemas/common";
import type { Context } from "hono";
import { canSeePartner } from "../auth/authenticate";
import { pepperOf } from "../auth/verify-key";
import { countWebhooks, getWebhook, MAX_WEBHOOKS, webhookWrites, type Webhook } from "../db/webhooks";
import type { AppEnv } from "../env";
import { commitMutation } from "../events/commit";
import { allowLocalTargets } from "../events/webhooks/config";
import { sealSecret } from "../events/webhooks/sealed";
import { newWebhookSecret } from "../events/webhooks/signature";
import { webhookTarget } from "../events/webhooks/target";
import { newWebhookId } from "../lib/ids";
import { ApiError, notFound, validationError } from "../lib/problem";
import { serializeWebhook } from "../schemas/webhook";
import { auditContext } from "./access";

/**
 * The endpoint, if the caller may see it: a partner's to the operator and that partner's keys, the
 * operator's own to the operator alone. Anything else is 404 (existence is not leaked).
 */
export async function visibleWebhook(c: Context<AppEnv>, webhookId: string): Promise<Webhook> {
  const principal = c.get("principal");
  const hook = await getWebhook(c.env.DB, webhookId);
  const visible = hook && (hook.partner_id === null ? principal.kind === "operator" : canSeePartner(principal, hook.partner_id));
  if (!hook || !visible) throw notFound("webhook");
  return hook;
}

/** Event types whose body carries a key (`data.api_key`): subscribing reads keys, so it needs `keys:read`. */
const READS_KEYS = (type: string) => type.startsWith("key.") || type === "credits.low" || type === "rate_limit.exceeded";

/**
 * §3a for subscriptions: an endpoint delivers what its events carry, so a key may subscribe only to
 * what it could read itself. Key events need `keys:read` among the caller's effective scopes;
 * partner events carry the partner, which every key of it reads (`GET /v1/me/partner`).
 */
export function assertMayHear(c: Context<AppEnv>, events: readonly string[]) {
  const principal = c.get("principal");
  if (principal.kind === "operator" || !events.some(READS_KEYS) || principal.scopes.includes("keys:read")) return;
  throw new ApiError("scope_escalation", "Key events carry the key: subscribing to them needs the keys:read scope.", {
    errors: [{ path: "events", message: "key.*, credits.low and rate_limit.exceeded need keys:read" }],
  });
}

/** The URL under DESIGN §8's target rules (with this deployment's WEBHOOK_ALLOW_LOCAL), else 400 on `url`. */
export function checkedTarget(c: Context<AppEnv>, url: string): string {
  const verdict = webhookTarget(url, { allowLocal: allowLocalTargets(c.env) });
  if (!verdict.ok) throw validationError([{ path: "url", message: verdict.reason }]);
  return verdict.url;
}

/** Creates an endpoint for a partner (or, `null`, the operator) and answers 201 with its secret, shown only here. */
export async function createWebhook(c: Context<AppEnv>, partnerId: string | null, body: { url: string; events: string[]; description?: string | null }) {
  const url = checkedTarget(c, body.url);
  assertMayHear(c, body.events);
  const pepper = pepperOf(c.env);
  if ((await countWebhooks(c.env.DB, partnerId)) >= MAX_WEBHOOKS) {
    throw new ApiError("too_many_webhooks", `At most ${MAX_WEBHOOKS} endpoints; delete one first.`);
  }
  const id = newWebhookId();
  const secret = newWebhookSecret();
  const write = webhookWrites.create(c.env.DB, auditContext(c), {
    id,
    partner_id: partnerId,
    url,
    events: body.events,
    description: body.description ?? null,
    secret: await sealSecret(pepper, id, secret),
  });
  const created = await commitMutation(c.env, write);
  return c.json({ webhook: serializeWebhook(created), secret }, 201, NO_STORE);
}
