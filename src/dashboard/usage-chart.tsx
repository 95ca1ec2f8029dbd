/**
 * Usage charts (DESIGN §7 data on the §6 pages): server-rendered SVG, no script, no library. Pure:
 * props in, markup out. Colours come from CSS classes only (their rules are in public/dashboard/static/app.css, served from the
 * dashboard's own stylesheet), so the CSP's `style-src 'self'` holds: no `style` attribute, no
 * `<style>` element, no colour in the markup.
 */
import { OUTCOMES, type Granularity, type UsageOutcome } from "../usage/buckets";
import {
  BASELINE,
  bucketLabel,
  chartLayout,
  formatCount,
  formatTick,
  PLOT,
  spansYears,
  VIEW,
  type UsageBucket,
} from "./chart-scale";

export type { UsageBucket } from "./chart-scale";

/** Legend and table headings, and the words of the summaries. */
const NAMES: Record<UsageOutcome, { label: string; words: string }> = {
  admitted: { label: "Admitted", words: "admitted" },
  rate_limited: { label: "Rate-limited", words: "rate-limited" },
  credits_exhausted: { label: "Credits exhausted", words: "credits exhausted" },
  refused: { label: "Refused", words: "refused" },
};
const HINTS: Record<UsageOutcome, string> = {
  admitted: "let through",
  rate_limited: "429: over the rate limit",
  credits_exhausted: "402: no credits left",
  refused: "by an allowlist or for a missing scope",
};
const BUCKET_NAME: Record<Granularity, string> = { minute: "Minute", hour: "Hour", day: "Day" };

export const EMPTY_TEXT = "No requests in this period";

export interface UsageChartProps {
  /** What the chart shows, e.g. `Last 24 hours`: its caption and the SVG's accessible name. */
  title: string;
  granularity: Granularity;
  /** The usage API's `data`: every bucket, oldest first. */
  data: readonly UsageBucket[];
  /** Unique on the page (a page may hold two charts): prefixes the ids the labels point at. */
  id: string;
}

/** `Last 24 hours by hour: 1,234 admitted, 5 rate-limited, 0 credits exhausted, 2 refused. …` */
export function usageSummary({ title, granularity, data }: Omit<UsageChartProps, "id">): string {
  const { totals, peak } = chartLayout(data, granularity);
  const years = spansYears(data);
  const counts = OUTCOMES.map((o) => `${formatCount(totals[o])} ${NAMES[o].words}`).join(", ");
  const when = (start: string) => bucketLabel(Date.parse(start), granularity, years);
  const range = data.length ? ` Times in UTC, ${when(data[0]!.start)} to ${when(data[data.length - 1]!.start)}.` : " Times in UTC.";
  const busiest = peak ? ` Busiest ${granularity}: ${when(peak.start)}, ${formatCount(peak.total)} requests.` : ` ${EMPTY_TEXT}.`;
  return `${title} by ${granularity}: ${counts}.${range}${busiest}`;
}

/** A stacked bar chart of a usage series, its legend, and its numbers as a table. */
export function UsageChart({ title, granularity, data, id }: UsageChartProps) {
  const chart = chartLayout(data, granularity);
  const years = spansYears(data);
  const when = (start: string) => bucketLabel(Date.parse(start), granularity, years);
  const empty = chart.peak === null;
  const right = PLOT.left + PLOT.width;
  return (
    <figure class="kw-chart" id={id}>
      <figcaption class="kw-chart-caption">
        {title} <span class="kw-chart-sub">by {granularity}, UTC</span>
      </figcaption>
      <svg
        class={chart.slot >= 8 ? "kw-chart-svg kw-chart-wide" : "kw-chart-svg"}
        viewBox={`0 0 ${VIEW.width} ${VIEW.height}`}
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
        focusable="false"
      >
        <title id={`${id}-title`}>{title}</title>
        <desc id={`${id}-desc`}>{usageSummary({ title, granularity, data })}</desc>
        <g class="kw-chart-grid">
          {chart.ticks.map((t) => (
            <line class={t.value === 0 ? "kw-chart-baseline" : undefined} x1={PLOT.left} x2={right} y1={t.y} y2={t.y} />
          ))}
        </g>
        <g class="kw-chart-yaxis" text-anchor="end">
          {chart.ticks.map((t) => (
            <text x={PLOT.left - 8} y={t.y} dy="0.32em">
              {formatTick(t.value)}
            </text>
          ))}
        </g>
        <g class="kw-chart-bars">
          {chart.bars.map((bar) => (
            <g data-start={bar.start}>
              {bar.segments.map((s) => (
                <rect class={`kw-chart-seg kw-chart-${s.outcome}`} x={bar.x} y={s.y} width={bar.width} height={s.height}>
                  <title>{`${when(bar.start)} UTC — ${formatCount(s.count)} ${NAMES[s.outcome].words}`}</title>
                </rect>
              ))}
            </g>
          ))}
        </g>
        <g class="kw-chart-xaxis" text-anchor="middle">
          {chart.labels.map((l) => (
            <text x={l.x} y={BASELINE + 6} dy="0.9em">
              {l.text}
            </text>
          ))}
        </g>
        {empty ? (
          <text class="kw-chart-empty" x={PLOT.left + PLOT.width / 2} y={PLOT.top + PLOT.height / 2} dy="0.32em" text-anchor="middle">
            {EMPTY_TEXT}
          </text>
        ) : null}
      </svg>
      <ul class="kw-chart-legend">
        {OUTCOMES.map((o) => (
          <li>
            <span class={`kw-chart-swatch kw-chart-${o}`} aria-hidden="true"></span>
            {NAMES[o].label} <span class="kw-chart-total">{formatCount(chart.totals[o])}</span>{" "}
            <span class="kw-chart-hint">({HINTS[o]})</span>
          </li>
        ))}
      </ul>
      <details class="kw-chart-numbers">
        <summary>Show the numbers</summary>
        <div class="table-wrap">
          <table class="kw-chart-table">
            <caption>
              {title}, requests by {granularity} (UTC)
            </caption>
            <thead>
              <tr>
                <th scope="col">{BUCKET_NAME[granularity]} (UTC)</th>
                {OUTCOMES.map((o) => (
                  <th scope="col">{NAMES[o].label}</th>
                ))}
                <th scope="col">Total</th>
              </tr>
            </thead>
            <tbody>
              {data.map((b) => (
                <tr>
                  <th scope="row">
                    <time datetime={b.start}>{when(b.start)}</time>
                  </th>
                  {OUTCOMES.map((o) => (
                    <td>{formatCount(b[o])}</td>
                  ))}
                  <td>{formatCount(OUTCOMES.reduce((sum, o) => sum + b[o], 0))}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">Total</th>
                {OUTCOMES.map((o) => (
                  <td>{formatCount(chart.totals[o])}</td>
                ))}
                <td>{formatCount(OUTCOMES.reduce((sum, o) => sum + chart.totals[o], 0))}</td>
              </tr>
            </tfoot>
          </table>
        </div>
      </details>
    </figure>
  );
}

/** A tiny line of admitted requests per bucket, for the keys list; `period` names the span. */
export function Sparkline({ data, period = "24-hour" }: { data: readonly UsageBucket[]; period?: string }) {
  const values = data.map((b) => b.admitted);
  const max = values.reduce((a, b) => Math.max(a, b), 0);
  const sum = values.reduce((a, b) => a + b, 0);
  // 1 unit of room above and below, so the line's stroke is never cut off.
  const y = (v: number) => Math.round((19 - (max > 0 ? (v / max) * 18 : 0)) * 100) / 100;
  const x = (i: number) => (values.length > 1 ? Math.round(((i * 80) / (values.length - 1)) * 100) / 100 : 0);
  const points = values.length > 1 ? values.map((v, i) => `${x(i)},${y(v)}`).join(" ") : `0,${y(values[0] ?? 0)} 80,${y(values[0] ?? 0)}`;
  const label = `${period} usage: ${formatCount(sum)} ${sum === 1 ? "admitted request" : "admitted requests"}`;
  return (
    <svg class="kw-spark" viewBox="0 0 80 20" width="80" height="20" role="img" aria-label={label} focusable="false">
      <title>{label}</title>
      <polyline class="kw-spark-line" points={points} />
    </svg>
  );
}
