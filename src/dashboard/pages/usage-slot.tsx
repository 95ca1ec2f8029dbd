import type { UsageBucket } from "../chart-scale";
import type { InternalApi } from "../types";
import { UsageChart } from "../usage-chart";

interface UsageAnswer {
  data: UsageBucket[];
}

/**
 * The usage charts of DESIGN §7 on the partner's overview and on each key's page: the last 24 hours
 * (by hour, or by minute with `?usage=minute`) and the last 30 days by day, read through the API
 * itself (`GET /v1/partners/{partner_id}/usage`, `GET /v1/keys/{key_id}/usage`) and drawn as
 * server-rendered SVG with the numbers as a table. A caller without `keys:read` sees a note instead.
 */
export async function UsageChartSlot(props: { api: InternalApi; kind: "partner" | "key"; id: string; byMinute?: boolean }) {
  const { api, kind, id } = props;
  const base = kind === "partner" ? `/v1/partners/${id}/usage` : `/v1/keys/${id}/usage`;
  const day = props.byMinute ? "minute" : "hour";
  const [recent, month] = await Promise.all([
    api.get<UsageAnswer>(`${base}?granularity=${day}`),
    api.get<UsageAnswer>(`${base}?granularity=day&from=${new Date(Date.now() - 29 * 86_400_000).toISOString()}`),
  ]);
  const title = kind === "partner" ? "Usage of all keys" : "Usage";
  return (
    <section class="card" aria-labelledby={`usage-${kind}-title`} data-testid="usage-chart">
      <h2 id={`usage-${kind}-title`}>{title}</h2>
      {recent.ok && month.ok ? (
        <>
          <UsageChart id={`usage-${kind}-24h`} title="Last 24 hours" granularity={day} data={recent.body.data} />
          <p class="muted">
            {props.byMinute ? <a href="?usage=hour">Show the last 24 hours by hour</a> : <a href="?usage=minute">Show the last 24 hours by minute</a>}
            {kind === "partner" ? " · Partner totals lag each key by up to a minute." : null}
          </p>
          <UsageChart id={`usage-${kind}-30d`} title="Last 30 days" granularity="day" data={month.body.data} />
        </>
      ) : (
        <p class="muted">Usage needs the keys:read scope.</p>
      )}
    </section>
  );
}
