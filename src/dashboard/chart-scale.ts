/**
 * The geometry of the usage charts (DESIGN §7 data, drawn by usage-chart.tsx): pure functions, no
 * I/O, no DOM. Everything is in the SVG's own units (its viewBox), so the chart scales to any width.
 */
import { BUCKET_MS, OUTCOMES, zeroCounts, type Counts, type Granularity, type UsageOutcome } from "../usage/buckets";

/** Requests per outcome in a bucket. */
type Outcomes = Record<UsageOutcome, number>;
/** One bucket as the usage API answers it; the charts draw its requests (credits_refilled is not a request). */
export type UsageBucket = { start: string; credits_refilled?: number } & Outcomes;

/** The SVG's coordinate system, and the plot area inside it (left: y labels; below: x labels). */
export const VIEW = { width: 640, height: 276 } as const;
export const PLOT = { left: 72, top: 16, width: 520, height: 220 } as const;
export const BASELINE = PLOT.top + PLOT.height;

/**
 * The largest font size (user units) the chart's CSS gives its text: on a phone the SVG is drawn at
 * under half its viewBox width, so its text is set large there. Labels are spaced for this size.
 */
export const MAX_FONT = 24;
/** A generous average glyph width of the UI font (digits and short month names), in em. */
const CHAR_EM = 0.62;
const LABEL_GAP = 8;
/** Every x label is at most this many characters: `14:00`, `Nov 27`. */
const X_LABEL_CHARS = 6;
/** The least distance between two x label centres: a label's width at MAX_FONT plus a gap. */
export const X_LABEL_SPACING = X_LABEL_CHARS * CHAR_EM * MAX_FONT + LABEL_GAP;

/**
 * The y axis: 0, then equal round steps (1, 2 or 5 × 10ⁿ, never a fraction of a request) up to
 * the first tick at or above `max`; 3 to 5 ticks.
 */
export function niceTicks(max: number): number[] {
  const top = Number.isFinite(max) && max > 0 ? max : 0;
  let step = 1;
  for (let magnitude = 1; ; magnitude *= 10) {
    const fits = [1, 2, 5].map((m) => m * magnitude).find((s) => Math.ceil(top / s) <= 4);
    if (fits !== undefined) {
      step = fits;
      break;
    }
  }
  const intervals = Math.max(2, Math.ceil(top / step));
  return Array.from({ length: intervals + 1 }, (_, i) => i * step);
}

/** `1234567` → `1,234,567`. */
export const formatCount = (n: number) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/** A y tick, short enough for the left margin: `500`, `1.5k`, `250k`, `1.2M`, `3B`. */
export function formatTick(n: number): string {
  const units: [number, string][] = [
    [1e9, "B"],
    [1e6, "M"],
    [1e3, "k"],
  ];
  for (const [size, suffix] of units) if (n >= size) return `${Math.round((n / size) * 10) / 10}${suffix}`;
  return String(n);
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");
/** `Nov 27` (UTC). */
export const dayLabel = (ms: number) => `${MONTHS[new Date(ms).getUTCMonth()]} ${new Date(ms).getUTCDate()}`;
/** `14:05` (UTC). */
export const timeLabel = (ms: number) => `${pad(new Date(ms).getUTCHours())}:${pad(new Date(ms).getUTCMinutes())}`;

/** A bucket on the x axis: its time, or its date for days and at midnight. */
export const axisLabel = (ms: number, granularity: Granularity) =>
  granularity === "day" || ms % BUCKET_MS.day === 0 ? dayLabel(ms) : timeLabel(ms);

/**
 * A bucket unambiguously, for hover titles and the table: `Nov 27, 14:00`; days `Nov 27`, with
 * the year (`Nov 27, 2026`) when the series spans more than one year.
 */
export function bucketLabel(ms: number, granularity: Granularity, spansYears: boolean): string {
  if (granularity !== "day") return `${dayLabel(ms)}, ${timeLabel(ms)}`;
  return spansYears ? `${dayLabel(ms)}, ${new Date(ms).getUTCFullYear()}` : dayLabel(ms);
}

export const spansYears = (data: readonly UsageBucket[]) =>
  data.length > 0 && new Date(data[0]!.start).getUTCFullYear() !== new Date(data[data.length - 1]!.start).getUTCFullYear();

/** Label every k-th bucket, k round for the granularity (every 15 minutes, 6 hours, week…). */
const LABEL_STEPS: Record<Granularity, number[]> = {
  minute: [1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 720, 1440],
  hour: [1, 2, 3, 4, 6, 12, 24, 48, 72, 168, 336, 672, 1344],
  day: [1, 2, 7, 14, 28, 56, 91, 182, 364, 728],
};
/** Labelled buckets are counted from a Monday 00:00 UTC (1970-01-05), so weekly labels fall on Mondays. */
const MONDAY_MS = 4 * BUCKET_MS.day;

/** How many buckets apart labels must be so that they never overlap, for `slot` units per bucket. */
export function labelStep(slot: number, granularity: Granularity): number {
  const need = X_LABEL_SPACING / slot;
  return LABEL_STEPS[granularity].find((k) => k >= need) ?? Math.ceil(need);
}

export interface Segment {
  outcome: UsageOutcome;
  count: number;
  y: number;
  height: number;
}
export interface Bar {
  start: string;
  x: number;
  width: number;
  segments: Segment[];
}
export interface XLabel {
  x: number;
  text: string;
}
export interface ChartLayout {
  ticks: { value: number; y: number }[];
  /** Units of height per request. */
  scale: number;
  /** Buckets with at least one request; each segment stacked from the baseline, admitted first. */
  bars: Bar[];
  labels: XLabel[];
  totals: Counts;
  /** The bucket with the most requests (null when there are none). */
  peak: { start: string; total: number } | null;
  /** Width of a bucket's slot; bars are drawn with gaps only when slots are wide enough. */
  slot: number;
}

const r2 = (v: number) => Math.round(v * 100) / 100;
const total = (b: Outcomes) => OUTCOMES.reduce((sum, o) => sum + b[o], 0);

export function chartLayout(data: readonly UsageBucket[], granularity: Granularity): ChartLayout {
  const n = data.length;
  const slot = n > 0 ? PLOT.width / n : PLOT.width;
  const totals = zeroCounts();
  let peak: ChartLayout["peak"] = null;
  for (const b of data) {
    for (const o of OUTCOMES) totals[o] += b[o];
    const t = total(b);
    if (t > 0 && (!peak || t > peak.total)) peak = { start: b.start, total: t };
  }
  const values = niceTicks(peak?.total ?? 0);
  const scale = PLOT.height / values[values.length - 1]!;
  const gap = slot >= 4 ? slot * 0.2 : 0;
  const bars: Bar[] = [];
  data.forEach((b, i) => {
    if (total(b) === 0) return;
    let stacked = 0;
    const segments: Segment[] = [];
    for (const o of OUTCOMES) {
      if (b[o] === 0) continue;
      const height = b[o] * scale;
      segments.push({ outcome: o, count: b[o], y: r2(BASELINE - stacked - height), height: r2(height) });
      stacked += height;
    }
    // Dense bars (no gap) reach half a unit into the next slot, under the next bar: anti-aliased
    // seams between them would otherwise pale the whole series.
    bars.push({ start: b.start, x: r2(PLOT.left + i * slot + gap / 2), width: r2(gap > 0 ? slot - gap : slot + 0.5), segments });
  });
  const step = labelStep(slot, granularity);
  const size = BUCKET_MS[granularity];
  const labels: XLabel[] = [];
  data.forEach((b, i) => {
    const ms = Date.parse(b.start);
    if (Math.round((ms - MONDAY_MS) / size) % step !== 0) return;
    labels.push({ x: r2(PLOT.left + (i + 0.5) * slot), text: axisLabel(ms, granularity) });
  });
  // A short range may hold no round bucket at all: then its first bucket is labelled.
  if (labels.length === 0 && n > 0) labels.push({ x: r2(PLOT.left + slot / 2), text: axisLabel(Date.parse(data[0]!.start), granularity) });
  return { ticks: values.map((value) => ({ value, y: r2(BASELINE - value * scale) })), scale, bars, labels, totals, peak, slot };
}
