import { getKey, type ApiKeyRecord } from "../../db/keys";
import { isWebhookEventType } from "../../db/event-types";
import { freezeBody, type OutboxEvent } from "../../db/outbox";
import { getPartner, type Partner } from "../../db/partners";
import { getUser } from "../../db/users";
import type { Bindings } from "../../env";
import { serializeKey } from "../../schemas/api-key";
import { serializePartner } from "../../schemas/partner";

/**
 * The `data` of an event's webhook body (DESIGN §8): the key or partner it is about, serialized as
 * the API serializes it (never a secret), plus what the event adds (`payload.data`). The request
 * that commits a change snapshots it from the committed row (`snapshotData`), so `key.created` shows
 * the key as created even when a rotation follows a moment later; an event without a snapshot (its
 * request failed after the commit, or a notice) is serialized by its first dispatch. Either way the
 * data is frozen in the event's row: every endpoint and every retry gets the same body.
 */
export async function webhookData(env: Bindings, event: OutboxEvent): Promise<Record<string, unknown>> {
  if (event.body) return event.body;
  const subject = isPartnerEvent(event) ? await partnerData(env, await getPartner(env.DB, event.subject_id)) : await keyData(env, await getKey(env.DB, event.subject_id));
  return freezeBody(env.DB, event.id, { ...subject, ...event.payload.data });
}

/**
 * The data as of the commit, from the row the commit returned; undefined for events no endpoint
 * can subscribe to, and when it cannot be built (the dispatch then serializes the current row).
 */
export async function snapshotData(env: Bindings, event: OutboxEvent, row: unknown): Promise<Record<string, unknown> | undefined> {
  if (!isWebhookEventType(event.type) || typeof row !== "object" || row === null) return undefined;
  try {
    const subject = isPartnerEvent(event) ? await partnerData(env, row as Partner) : await keyData(env, row as ApiKeyRecord);
    return { ...subject, ...event.payload.data };
  } catch {
    return undefined;
  }
}

/** About the partner itself (partner.*, and a partner's shared balance's credits.low), not one of its keys. */
const isPartnerEvent = (event: OutboxEvent) => event.subject_id === event.partner_id;

async function keyData(env: Bindings, key: ApiKeyRecord | null) {
  if (!key) return {};
  const user = key.user_id ? await getUser(env.DB, key.user_id) : null;
  return { api_key: serializeKey(key, { user }) };
}

async function partnerData(_env: Bindings, partner: Partner | null) {
  return partner ? { partner: serializePartner(partner) } : {};
}
