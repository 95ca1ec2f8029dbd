import { WEBHOOK_EVENT_TYPES } from "../../db/event-types";
import { expectOk } from "../internal-api";
import type { PortalNav } from "../layout";
import { portalOf, portalRoute, sessionOf, type DashboardRouter } from "../portal";
import { pageNotFound, type DashboardContext, type InternalApi, type Problem } from "../types";
import { describedBy, FieldErrors } from "../ui";

/** An endpoint as the API shows it (never its secret). */
export interface WebhookView {
  id: string;
  partner_id: string | null;
  url: string;
  events: string[];
  description: string | null;
  status: string;
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
}

/** One attempt of the delivery log. */
export interface DeliveryView {
  id: string;
  event_id: string;
  type: string;
  attempt: number;
  status: string;
  status_code: number | null;
  ok: boolean;
  error: string | null;
  response_excerpt: string | null;
  at: string | null;
  scheduled_at: string;
  next_retry_at: string | null;
}

/**
 * Whose endpoints a webhooks page shows: a partner's (its portal, for its user or the operator) or
 * the operator's own (`/dashboard/webhooks` for the operator, every partner's events). Every link
 * starts at `base`; the API paths are the owner's.
 */
export interface WebhookPlace {
  /** Links: `${base}/webhooks…`. */
  base: string;
  nav: PortalNav | null;
  /** The nav entry to mark. */
  active: string;
  /** The partner owning the endpoints, or null for the operator's own. */
  ownerId: string | null;
  /** Who receives, in words ("Acme's" / "your own"). */
  ownerLabel: string;
  api: InternalApi;
  /** The API's collection: list (GET) and create (POST). */
  collection: string;
  /** Whether to show write forms: the API decides, this only hides what it would refuse (webhooks:write). */
  canWrite: boolean;
}

export async function placeOf(c: DashboardContext): Promise<WebhookPlace> {
  const view = await portalOf(c);
  if (view) {
    const canWrite = view.signedIn.kind === "operator" || view.signedIn.principal.scopes.includes("webhooks:write");
    return {
      base: view.portal.base,
      nav: view.nav,
      active: `${view.portal.base}/webhooks`,
      ownerId: view.portal.partnerId,
      ownerLabel: `${view.partner.name}'s`,
      api: view.api,
      collection: `/v1/partners/${view.portal.partnerId}/webhooks`,
      canWrite,
    };
  }
  // portalOf answers null only to the operator outside a partner's portal: its own endpoints.
  const { api } = sessionOf(c);
  return { base: "/dashboard", nav: null, active: "/dashboard/webhooks", ownerId: null, ownerLabel: "your own", api, collection: "/v1/webhooks", canWrite: true };
}

/** The endpoint, if it exists and belongs to this place's owner; 404 otherwise (the API's 404 for another partner's too). */
export async function webhookOf(c: DashboardContext, place: WebhookPlace): Promise<WebhookView> {
  const id = c.req.param("webhook_id") ?? "";
  const hook = expectOk(await place.api.get<WebhookView>(`/v1/webhooks/${encodeURIComponent(id)}`));
  if (hook.partner_id !== place.ownerId) throw pageNotFound();
  return hook;
}

export const hookPath = (place: WebhookPlace, hook: { id: string }, done?: string) => `${place.base}/webhooks/${hook.id}${done ? `?done=${done}` : ""}`;

/** Registers a webhooks page at both portal paths; at /dashboard/webhooks… the operator gets its own endpoints. */
export function webhookRoute(router: DashboardRouter, method: "GET" | "POST", path: string, handler: (c: DashboardContext, place: WebhookPlace) => Promise<Response>) {
  portalRoute(router, method, path, async (c) => handler(c, await placeOf(c)));
}

/** The fields of the create and edit forms. */
export interface WebhookForm {
  url: string;
  events: string[];
  description: string;
}

export const EMPTY_WEBHOOK_FORM: WebhookForm = { url: "", events: [], description: "" };
export const WEBHOOK_FIELDS = ["url", "events", "description"];

export const formOfHook = (hook: WebhookView): WebhookForm => ({ url: hook.url, events: hook.events, description: hook.description ?? "" });

/** URL, event checkboxes and description, with the API's errors next to each. */
export function WebhookFields({ form, problem, idPrefix }: { form: WebhookForm; problem?: Problem | null; idPrefix: string }) {
  return (
    <>
      <div class="field">
        <label for={`${idPrefix}-url`}>Endpoint URL</label>
        <input id={`${idPrefix}-url`} name="url" type="url" required maxlength={2048} value={form.url} spellcheck={false} aria-describedby={describedBy(problem, "url")} />
        <p class="hint">An https URL on the default port with a public host name, such as https://hooks.example.com/keyward.</p>
        <FieldErrors problem={problem} field="url" />
      </div>
      <fieldset class="field" aria-describedby={describedBy(problem, "events")}>
        <legend>Events</legend>
        <p class="hint">The endpoint receives only the checked event types.</p>
        <div class="checks events">
          {WEBHOOK_EVENT_TYPES.map((type, i) => (
            <label class="check" for={`${idPrefix}-event-${i}`}>
              <input type="checkbox" id={`${idPrefix}-event-${i}`} name="events" value={type} checked={form.events.includes(type)} />
              <code>{type}</code>
            </label>
          ))}
        </div>
        <FieldErrors problem={problem} field="events" />
      </fieldset>
      <div class="field">
        <label for={`${idPrefix}-description`}>Description (optional)</label>
        <input id={`${idPrefix}-description`} name="description" maxlength={500} value={form.description} aria-describedby={describedBy(problem, "description")} />
        <FieldErrors problem={problem} field="description" />
      </div>
    </>
  );
}

/** The secret's explanation, shown above it once (create and rotate). */
export function SecretNote({ rotated }: { rotated: boolean }) {
  return (
    <>
      <p>
        Copy it now and store it where your receiver can read it. It is shown only this once. Verify each delivery's{" "}
        <code>webhook-signature</code> with it (Standard Webhooks).
      </p>
      {rotated ? (
        <p>
          <strong>For the next 24 hours deliveries are signed with both the previous secret and this one</strong> (two signatures in the header),
          so your receiver keeps working while you switch it over. After that, only this secret signs.
        </p>
      ) : null}
    </>
  );
}
