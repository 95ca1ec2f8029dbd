import type { ContentfulStatusCode } from "hono/utils/http-status";
import { expectOk, pageErrorOf } from "../internal-api";
import { renderPage } from "../layout";
import { formOf, type DashboardRouter } from "../portal";
import type { DashboardContext, Problem } from "../types";
import { Badge, DataTable, Empty, NewSecret, Notice, Pager, ProblemNotice, Tags, When } from "../ui";
import {
  EMPTY_WEBHOOK_FORM,
  SecretNote,
  WEBHOOK_FIELDS,
  WebhookFields,
  webhookRoute,
  type WebhookForm,
  type WebhookPlace,
  type WebhookView,
} from "./webhook-place";

/** What the last action did, for the page it redirected to (fixed texts: nothing from the URL is echoed). */
const DONE: Record<string, string> = {
  deleted: "The endpoint is deleted, with its delivery log. Events still queued for it are dropped.",
};

export function WebhooksTable({ hooks, base }: { hooks: WebhookView[]; base: string }) {
  return (
    <DataTable label="Webhook endpoints" columns={["URL", "Events", "Status", "Created"]}>
      {hooks.map((h) => (
        <tr>
          <td class="webhook-url">
            <a href={`${base}/webhooks/${h.id}`}>{h.url}</a>
            {h.description ? <div class="muted small">{h.description}</div> : null}
          </td>
          <td class="event-list">
            <Tags items={h.events} />
          </td>
          <td>
            <Badge status={h.status} />
            {h.disabled_reason ? <div class="muted small delivery-error">{`Disabled by Keyward: ${h.disabled_reason}`}</div> : null}
          </td>
          <td>
            <When at={h.created_at} />
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

function CreateWebhookForm({ place, form, problem }: { place: WebhookPlace; form: WebhookForm; problem?: Problem | null }) {
  return (
    <section class="card" aria-labelledby="create-webhook-title">
      <h2 id="create-webhook-title">Add an endpoint</h2>
      <ProblemNotice problem={problem} fields={WEBHOOK_FIELDS} />
      <form method="post" action={`${place.base}/webhooks`} class="stack">
        <WebhookFields form={form} problem={problem} idPrefix="webhook" />
        <button type="submit" class="button primary">
          Add endpoint
        </button>
      </form>
    </section>
  );
}

async function renderWebhooks(
  c: DashboardContext,
  place: WebhookPlace,
  extra: { status?: ContentfulStatusCode; secret?: string; form?: WebhookForm; problem?: Problem | null } = {},
) {
  const cursor = c.req.method === "GET" ? (c.req.query("cursor") ?? "") : "";
  const query = `limit=25${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
  const page = expectOk(await place.api.get<{ data: WebhookView[]; next_cursor: string | null }>(`${place.collection}?${query}`));
  const done = c.req.method === "GET" ? DONE[c.req.query("done") ?? ""] : undefined;
  const intro =
    place.ownerId === null
      ? "Your own endpoints: they receive the events of every partner."
      : `Endpoints of ${place.ownerLabel.replace(/'s$/, "")} that receive its events, signed as Standard Webhooks.`;
  const body = (
    <>
      <div class="page-head">
        <h1>Webhooks</h1>
        <p class="muted">{intro}</p>
      </div>
      {done ? <Notice kind="success">{done}</Notice> : null}
      {extra.secret ? <NewSecret title="The endpoint's signing secret" secret={extra.secret} testId="new-webhook-secret" note={<SecretNote rotated={false} />} /> : null}
      <section class="card" aria-labelledby="webhooks-title">
        <h2 id="webhooks-title">Endpoints</h2>
        {page.data.length === 0 ? (
          <Empty title={cursor ? "No more endpoints." : place.canWrite ? "No endpoints yet — add one below." : "No endpoints yet."}>
            <p class="muted">An endpoint receives a signed POST for each event it subscribes to, such as a key created or revoked.</p>
          </Empty>
        ) : (
          <WebhooksTable hooks={page.data} base={place.base} />
        )}
        <Pager href={`${place.base}/webhooks`} next={page.next_cursor} paged={cursor !== ""} />
      </section>
      {place.canWrite ? <CreateWebhookForm place={place} form={extra.form ?? EMPTY_WEBHOOK_FORM} problem={extra.problem} /> : null}
    </>
  );
  return renderPage(c, { title: "Webhooks", status: extra.status, active: place.active, portal: place.nav }, body);
}

export function registerWebhooks(router: DashboardRouter): void {
  webhookRoute(router, "GET", "/webhooks", (c, place) => renderWebhooks(c, place));

  webhookRoute(router, "POST", "/webhooks", async (c, place) => {
    const f = await formOf(c);
    const form: WebhookForm = { url: f.one("url"), events: f.all("events"), description: f.one("description") };
    const body = { url: form.url, events: form.events, ...(form.description && { description: form.description }) };
    const created = await place.api.post<{ webhook: WebhookView; secret: string }>(place.collection, body);
    // The one answer that holds the secret: rendered here, never stored, never redirected through.
    if (created.ok) return renderWebhooks(c, place, { status: 201, secret: created.body.secret });
    // Refused: the form again with the API's words, as a 200 page; a refused authority (403) is an error page.
    if (![400, 409].includes(created.status)) throw pageErrorOf(created.problem);
    return renderWebhooks(c, place, { form, problem: created.problem });
  });
}
