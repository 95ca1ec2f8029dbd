import { expectOk } from "../internal-api";
import type { Problem } from "../types";
import { Badge, DataTable, Empty, Pager, ProblemNotice, When } from "../ui";
import type { DeliveryView, WebhookPlace, WebhookView } from "./webhook-place";

/** What an attempt got back: the status code, else why there was none (timeout, network…), with the answer's start on hover. */
function Outcome({ d }: { d: DeliveryView }) {
  if (d.status === "queued" || d.status === "sending") return <span class="muted">—</span>;
  return (
    <span class="delivery-error" title={d.response_excerpt ?? undefined}>
      {d.status_code !== null ? <code>{String(d.status_code)}</code> : null}
      {d.status_code !== null && d.error ? " " : null}
      {d.error ?? null}
    </span>
  );
}

/**
 * The endpoint's delivery log, one row per attempt, newest first (the API's order), a page of the
 * API's cursor at a time. Each row can be sent again (a new attempt of the same event); the API
 * refuses while a newer attempt of that event is still pending, and its words show above the table.
 */
export async function DeliveryLog(props: { place: WebhookPlace; hook: WebhookView; cursor: string; problem?: Problem | null }) {
  const { place, hook, cursor, problem } = props;
  const query = `limit=25${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
  const page = expectOk(await place.api.get<{ data: DeliveryView[]; next_cursor: string | null }>(`/v1/webhooks/${hook.id}/deliveries?${query}`));
  const action = (d: DeliveryView) => `${place.base}/webhooks/${hook.id}/deliveries/${d.id}/redeliver`;
  return (
    <section class="card" id="deliveries" aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Delivery log</h2>
      <p class="muted">Every attempt of the last 30 days, newest first. A failed attempt is retried on its own until the retries run out.</p>
      <ProblemNotice problem={problem} />
      {page.data.length === 0 ? (
        <Empty title={cursor ? "No more attempts." : "No deliveries yet."}>
          <p class="muted">Attempts appear here once an event the endpoint subscribes to happens.</p>
        </Empty>
      ) : (
        <DataTable label="Delivery attempts" columns={["Time", "Event", "Attempt", "Status", "Response", "Next retry", place.canWrite && { hidden: "Actions" }]}>
          {page.data.map((d) => (
            <tr data-delivery={d.id}>
              <td>
                <When at={d.at ?? d.scheduled_at} />
              </td>
              <td>
                <code title={`Event ${d.event_id}`}>{d.type}</code>
              </td>
              <td>{String(d.attempt)}</td>
              <td>
                <Badge status={d.status} />
              </td>
              <td>
                <Outcome d={d} />
              </td>
              <td>
                <When at={d.next_retry_at} empty="—" />
              </td>
              {place.canWrite ? (
                <td>
                  <form method="post" action={action(d)}>
                    <button type="submit" class="button secondary small" aria-label={`Redeliver ${d.type}, attempt ${d.attempt}`}>
                      Redeliver
                    </button>
                  </form>
                </td>
              ) : null}
            </tr>
          ))}
        </DataTable>
      )}
      <Pager href={`${place.base}/webhooks/${hook.id}`} next={page.next_cursor} paged={cursor !== ""} />
    </section>
  );
}
