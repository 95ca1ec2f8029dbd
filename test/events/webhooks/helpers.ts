import { inject } from "vitest";
import { call, createPartner, eventually } from "../../helpers";

export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  status: number;
}

/** A fresh path on the loopback receiver (test/events/webhooks/receiver.global.ts); `fail` 500s come first. */
export function receiverPath(options: { fail?: number } = {}) {
  const path = `/hooks/${crypto.randomUUID()}`;
  return { path, url: `${inject("webhookReceiver")}${path}${options.fail ? `?fail=${options.fail}` : ""}` };
}

export async function received(path: string): Promise<Received[]> {
  const res = await fetch(`${inject("webhookReceiver")}/__received?path=${encodeURIComponent(path)}`);
  return (await res.json()) as Received[];
}

/** What the path has received once `done` holds (or `within` ms passed): the queue delivers on its own schedule. */
export const receivedUntil = (path: string, done: (list: Received[]) => boolean, within = 30_000): Promise<Received[]> =>
  eventually(() => received(path), done, within);

/** A partner with an endpoint on the receiver subscribed to `events`; the secret as created. */
export async function partnerWithWebhook(events: string[], options: { fail?: number } = {}) {
  const partner = await createPartner();
  const target = receiverPath(options);
  const res = await call(`/v1/partners/${partner.id}/webhooks`, { body: { url: target.url, events } });
  if (res.status !== 201) throw new Error(`webhook not created: ${res.status} ${res.text}`);
  return { partner, webhook: res.body.webhook, secret: res.body.secret as string, path: target.path };
}
