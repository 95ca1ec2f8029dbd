import type { ContentfulStatusCode } from "hono/utils/http-status";
import { renderPage } from "../layout";
import type { DashboardRouter } from "../portal";
import type { DashboardContext, Problem } from "../types";
import { Badge, Details, NewSecret, Notice, ProblemNotice, Tags, When, type DetailRow } from "../ui";
import { DeliveryLog } from "./webhook-deliveries";
import { formOfHook, hookPath, SecretNote, WEBHOOK_FIELDS, WebhookFields, webhookOf, webhookRoute, type WebhookForm, type WebhookPlace, type WebhookView } from "./webhook-place";

/** What the last action did, for the page it redirected to (fixed texts: nothing from the URL is echoed). */
const DONE: Record<string, string> = {
  saved: "Endpoint saved. Events from now on follow the new settings.",
  enabled: "Endpoint enabled. It receives its events again from now on.",
  disabled: "Endpoint disabled. It receives no events until it is enabled again; attempts still queued are dropped.",
  redelivered: "A new attempt is queued: it appears at the top of the delivery log.",
};

export interface WebhookPageExtras {
  status?: ContentfulStatusCode;
  secret?: string;
  /** The form the problem belongs to, so its words appear there. */
  problemIn?: "edit" | "status" | "rotate" | "deliveries";
  problem?: Problem | null;
  form?: WebhookForm;
}

function HookDetails({ hook }: { hook: WebhookView }) {
  const rows: DetailRow[] = [
    ["Endpoint id", <code>{hook.id}</code>],
    ["URL", <code>{hook.url}</code>],
    ["Status", <Badge status={hook.status} />],
    ["Events", <Tags items={hook.events} />],
    ["Created", <When at={hook.created_at} />],
    ["Updated", <When at={hook.updated_at} />],
  ];
  if (hook.disabled_reason) rows.push(["Disabled by Keyward", hook.disabled_reason]);
  return <Details rows={rows} />;
}

function EditForm({ action, form, problem }: { action: string; form: WebhookForm; problem?: Problem | null }) {
  return (
    <section class="card" aria-labelledby="edit-title">
      <h2 id="edit-title">Settings</h2>
      <ProblemNotice problem={problem} fields={WEBHOOK_FIELDS} />
      <form method="post" action={action} class="stack">
        <WebhookFields form={form} problem={problem} idPrefix="edit" />
        <button type="submit" class="button">
          Save endpoint
        </button>
      </form>
    </section>
  );
}

function StatusForm({ action, hook, problem }: { action: string; hook: WebhookView; problem?: Problem | null }) {
  const enabled = hook.status === "enabled";
  return (
    <section class="card" aria-labelledby="status-title">
      <h2 id="status-title">{enabled ? "Disable" : "Enable"}</h2>
      <p class="muted">
        {enabled
          ? "A disabled endpoint receives no events (they are not kept for it) until it is enabled again."
          : "Enabling sends it the events that happen from now on, and clears its record of failing deliveries."}
      </p>
      <ProblemNotice problem={problem} />
      <form method="post" action={`${action}/${enabled ? "disable" : "enable"}`}>
        <button type="submit" class={enabled ? "button danger" : "button"}>
          {enabled ? "Disable endpoint" : "Enable endpoint"}
        </button>
      </form>
    </section>
  );
}

function RotateForm({ action, problem }: { action: string; problem?: Problem | null }) {
  return (
    <section class="card" aria-labelledby="rotate-title">
      <h2 id="rotate-title">Rotate the signing secret</h2>
      <p>
        The endpoint gets a new secret, shown once. For 24 hours every delivery is signed with both the previous and the new secret, so your
        receiver keeps working while you switch it over.
      </p>
      <ProblemNotice problem={problem} />
      <form method="post" action={`${action}/rotate-secret`}>
        <button type="submit" class="button">
          Rotate secret
        </button>
      </form>
    </section>
  );
}

export async function renderWebhook(c: DashboardContext, place: WebhookPlace, hook: WebhookView, extra: WebhookPageExtras = {}) {
  const self = hookPath(place, hook);
  const done = c.req.method === "GET" ? DONE[c.req.query("done") ?? ""] : undefined;
  const cursor = c.req.method === "GET" ? (c.req.query("cursor") ?? "") : "";
  const problemFor = (form: WebhookPageExtras["problemIn"]) => (extra.problemIn === form ? extra.problem : null);
  const body = (
    <>
      <p class="crumbs">
        <a href={`${place.base}/webhooks`}>Webhooks</a> <span aria-hidden="true">/</span> Endpoint
      </p>
      <div class="page-head">
        <h1>
          <span class="webhook-title">{hook.url}</span> <Badge status={hook.status} />
        </h1>
        {hook.description ? <p class="muted">{hook.description}</p> : null}
      </div>
      {done ? <Notice kind="success">{done}</Notice> : null}
      {hook.disabled_reason ? <Notice kind="error">{`Keyward disabled this endpoint: ${hook.disabled_reason} Enable it once it answers again.`}</Notice> : null}
      {extra.secret ? <NewSecret title="The endpoint's new signing secret" secret={extra.secret} testId="new-webhook-secret" note={<SecretNote rotated />} /> : null}
      <section class="card" aria-labelledby="details-title">
        <h2 id="details-title">Details</h2>
        <HookDetails hook={hook} />
      </section>
      <DeliveryLog place={place} hook={hook} cursor={cursor} problem={problemFor("deliveries")} />
      {place.canWrite ? (
        <>
          <EditForm action={self} form={extra.form ?? formOfHook(hook)} problem={problemFor("edit")} />
          <StatusForm action={self} hook={hook} problem={problemFor("status")} />
          <RotateForm action={self} problem={problemFor("rotate")} />
          <section class="card danger" aria-labelledby="delete-title">
            <h2 id="delete-title">Delete</h2>
            <p>Deleting removes the endpoint and its delivery log; events are no longer sent to it. It cannot be undone.</p>
            <a class="button danger" href={`${self}/delete`}>
              Delete this endpoint…
            </a>
          </section>
        </>
      ) : null}
    </>
  );
  return renderPage(c, { title: "Webhook endpoint", status: extra.status, active: place.active, portal: place.nav }, body);
}

export function registerWebhook(router: DashboardRouter): void {
  webhookRoute(router, "GET", "/webhooks/:webhook_id", async (c, place) => renderWebhook(c, place, await webhookOf(c, place)));
}
