import { pageErrorOf } from "../internal-api";
import { renderPage } from "../layout";
import { formOf, type DashboardRouter } from "../portal";
import type { ApiAnswer, DashboardContext } from "../types";
import { ConfirmCard } from "../ui";
import { renderWebhook, type WebhookPageExtras } from "./webhook";
import { hookPath, webhookOf, webhookRoute, type WebhookForm, type WebhookPlace, type WebhookView } from "./webhook-place";

/**
 * Statuses a form shows next to its fields (the API's own words, on a 200 page: key-actions.tsx,
 * `refused`); anything else is an error page, a refused authority (403) included: these forms are
 * shown only to callers who may write, so a 403 means a forged or stale form.
 */
const FORM_STATUSES = [400, 409];

async function refused(c: DashboardContext, place: WebhookPlace, hook: WebhookView, answer: ApiAnswer<unknown>, extra: WebhookPageExtras) {
  if (answer.ok) throw new Error("refused() called with a successful answer");
  if (!FORM_STATUSES.includes(answer.status)) throw pageErrorOf(answer.problem);
  return renderWebhook(c, place, hook, { ...extra, problem: answer.problem });
}

/** Resolves the place and the endpoint (404 for another owner's), then runs `action`. */
function hookAction(action: (c: DashboardContext, place: WebhookPlace, hook: WebhookView) => Promise<Response>) {
  return async (c: DashboardContext, place: WebhookPlace) => action(c, place, await webhookOf(c, place));
}

function DeleteConfirm({ place, hook }: { place: WebhookPlace; hook: WebhookView }) {
  return (
    <ConfirmCard title="Delete this endpoint?" action={`${hookPath(place, hook)}/delete`} label="Delete endpoint" cancelHref={hookPath(place, hook)}>
      <p>
        <code>{hook.url}</code> stops receiving events at once; attempts still queued for it are dropped, and its delivery log is deleted with
        it. This cannot be undone.
      </p>
    </ConfirmCard>
  );
}

export function registerWebhookActions(router: DashboardRouter): void {
  // Settings: PATCH /v1/webhooks/{id} {url, events, description}.
  webhookRoute(
    router,
    "POST",
    "/webhooks/:webhook_id",
    hookAction(async (c, place, hook) => {
      const f = await formOf(c);
      const form: WebhookForm = { url: f.one("url"), events: f.all("events"), description: f.one("description") };
      const answer = await place.api.patch(`/v1/webhooks/${hook.id}`, { url: form.url, events: form.events, description: form.description || null });
      if (!answer.ok) return refused(c, place, hook, answer, { problemIn: "edit", form });
      return c.redirect(hookPath(place, hook, "saved"), 303);
    }),
  );

  for (const status of ["enabled", "disabled"] as const) {
    webhookRoute(
      router,
      "POST",
      `/webhooks/:webhook_id/${status === "enabled" ? "enable" : "disable"}`,
      hookAction(async (c, place, hook) => {
        const answer = await place.api.patch(`/v1/webhooks/${hook.id}`, { status });
        if (!answer.ok) return refused(c, place, hook, answer, { problemIn: "status" });
        return c.redirect(hookPath(place, hook, status), 303);
      }),
    );
  }

  webhookRoute(
    router,
    "POST",
    "/webhooks/:webhook_id/rotate-secret",
    hookAction(async (c, place, hook) => {
      const answer = await place.api.post<{ webhook: WebhookView; secret: string }>(`/v1/webhooks/${hook.id}/rotate-secret`);
      if (!answer.ok) return refused(c, place, hook, answer, { problemIn: "rotate" });
      // The new secret is shown in this answer only: never stored, never put in a redirect.
      return renderWebhook(c, place, answer.body.webhook, { secret: answer.body.secret });
    }),
  );

  webhookRoute(
    router,
    "GET",
    "/webhooks/:webhook_id/delete",
    hookAction(async (c, place, hook) => renderPage(c, { title: "Delete endpoint", active: place.active, portal: place.nav }, <DeleteConfirm place={place} hook={hook} />)),
  );

  webhookRoute(
    router,
    "POST",
    "/webhooks/:webhook_id/delete",
    hookAction(async (c, place, hook) => {
      const answer = await place.api.delete(`/v1/webhooks/${hook.id}`);
      if (!answer.ok) throw pageErrorOf(answer.problem);
      return c.redirect(`${place.base}/webhooks?done=deleted`, 303);
    }),
  );

  webhookRoute(
    router,
    "POST",
    "/webhooks/:webhook_id/deliveries/:delivery_id/redeliver",
    hookAction(async (c, place, hook) => {
      const deliveryId = encodeURIComponent(c.req.param("delivery_id") ?? "");
      const answer = await place.api.post(`/v1/webhooks/${hook.id}/deliveries/${deliveryId}/redeliver`);
      if (!answer.ok) return refused(c, place, hook, answer, { problemIn: "deliveries" });
      return c.redirect(`${hookPath(place, hook, "redelivered")}#deliveries`, 303);
    }),
  );
}
