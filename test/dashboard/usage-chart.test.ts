import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { niceTicks, type UsageBucket } from "../../src/dashboard/chart-scale";
import { env } from "cloudflare:workers";
import { EMPTY_TEXT, Sparkline, UsageChart } from "../../src/dashboard/usage-chart";
import { BUCKET_MS, OUTCOMES, type Granularity } from "../../src/usage/buckets";

/** The dashboard's stylesheet as browsers get it: the chart rules live there only. */
const USAGE_CHART_CSS = await (await env.ASSETS.fetch("http://keyward.test/dashboard/static/app.css")).text();

// The usage charts as a person meets them: what the SVG draws (parsed by workerd's own HTML
// parser, HTMLRewriter), what a screen reader announces, and the numbers behind it.

interface Node {
  tag: string;
  attrs: Record<string, string>;
  children: Node[];
  /** All the text inside, as textContent. */
  text: string;
}

const decode = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");

/** A real parse of the markup into a tree (tag names and attribute names lower-cased, as HTML has them). */
async function parse(html: string): Promise<Node> {
  const root: Node = { tag: "#root", attrs: {}, children: [], text: "" };
  const open: Node[] = [root];
  await new HTMLRewriter()
    .on("*", {
      element(el) {
        const node: Node = { tag: el.tagName.toLowerCase(), attrs: {}, children: [], text: "" };
        for (const [name, value] of el.attributes) node.attrs[name!.toLowerCase()] = decode(value!);
        open.at(-1)!.children.push(node);
        open.push(node);
        el.onEndTag(() => void open.pop());
      },
    })
    .onDocument({ text: (t) => void open.forEach((n) => (n.text += decode(t.text))) })
    .transform(new Response(html))
    .text();
  return root;
}

function all(node: Node, match: (n: Node) => boolean, out: Node[] = []): Node[] {
  for (const child of node.children) {
    if (match(child)) out.push(child);
    all(child, match, out);
  }
  return out;
}
const one = (node: Node, match: (n: Node) => boolean) => {
  const found = all(node, match);
  expect(found.length).toBe(1);
  return found[0]!;
};
const classed = (name: string) => (n: Node) => (n.attrs.class ?? "").split(" ").includes(name);
const tag = (name: string) => (n: Node) => n.tag === name;
const num = (n: Node, attr: string) => Number(n.attrs[attr]);

/** Renders a component the way the dashboard's pages do. */
const render = async (element: unknown) => String(await (element as { toString(): string | Promise<string> }).toString());

const words = { admitted: "admitted", rate_limited: "rate-limited", credits_exhausted: "credits exhausted", refused: "refused" } as const;
const total = (b: UsageBucket) => OUTCOMES.reduce((s, o) => s + b[o], 0);
const commas = (n: number) => n.toLocaleString("en-US");

/** A series as the API answers it: `n` consecutive buckets from bucket number `first` of its granularity. */
function series(granularity: Granularity, first: number, counts: Omit<UsageBucket, "start">[]): UsageBucket[] {
  return counts.map((c, i) => ({ start: new Date((first + i) * BUCKET_MS[granularity]).toISOString(), ...c }));
}

// Bucket numbers from 2020 to 2030 for each granularity.
const firstBucket = (g: Granularity) => fc.integer({ min: Math.ceil(Date.UTC(2020, 0) / BUCKET_MS[g]), max: Math.floor(Date.UTC(2030, 0) / BUCKET_MS[g]) });
const count = fc.oneof(fc.constant(0), fc.nat(9), fc.nat(5_000), fc.nat(3_000_000));
const counts = fc.record({ admitted: count, rate_limited: count, credits_exhausted: count, refused: count });
const granularity = fc.constantFrom<Granularity>("minute", "hour", "day");
const chartData = (maxLength: number) =>
  granularity.chain((g) => fc.tuple(fc.constant(g), firstBucket(g), fc.array(counts, { minLength: 1, maxLength })));

/** `1.5k` → 1500: a y tick as printed. */
const SUFFIXES: Record<string, number> = { k: 1e3, M: 1e6, B: 1e9 };
const tickValue = (label: string) => Math.round(parseFloat(label) * (SUFFIXES[label.slice(-1)] ?? 1));

/** The chart's geometry as drawn: the baseline, the top gridline and its value, the plot's edges. */
function axes(svg: Node) {
  const baseline = one(svg, classed("kw-chart-baseline"));
  const yLabels = all(one(svg, classed("kw-chart-yaxis")), tag("text"));
  const top = yLabels.at(-1)!;
  return {
    baselineY: num(baseline, "y1"),
    left: num(baseline, "x1"),
    right: num(baseline, "x2"),
    topY: num(top, "y"),
    topValue: tickValue(top.text),
    ticks: yLabels.map((t) => tickValue(t.text)),
  };
}

const fixed = series("hour", Date.UTC(2026, 10, 26, 15) / BUCKET_MS.hour, [
  ...Array.from({ length: 22 }, () => ({ admitted: 50, rate_limited: 0, credits_exhausted: 0, refused: 0 })),
  { admitted: 34, rate_limited: 5, credits_exhausted: 0, refused: 2 },
  { admitted: 120, rate_limited: 0, credits_exhausted: 0, refused: 0 },
]); // 1,254 admitted; the last bucket is Nov 27, 14:00 UTC

describe("niceTicks", () => {
  it("starts at 0, covers the largest count in 3 to 5 equal round steps (1, 2 or 5 × 10ⁿ), and is no looser than it must be", () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(100), fc.nat(), fc.double({ min: 0, max: 1e12, noNaN: true })), (max) => {
        const ticks = niceTicks(max);
        expect(ticks[0]).toBe(0);
        expect(ticks.length).toBeGreaterThanOrEqual(3);
        expect(ticks.length).toBeLessThanOrEqual(5);
        expect(ticks.at(-1)!).toBeGreaterThanOrEqual(max);
        const step = ticks[1]!;
        ticks.forEach((t, i) => expect(t).toBe(i * step));
        expect(step / 10 ** Math.floor(Math.log10(step))).toSatisfy((m: number) => [1, 2, 5].includes(m));
        if (ticks.length > 3) expect(ticks.at(-2)!).toBeLessThan(max);
      }),
    );
    expect(niceTicks(0)).toEqual([0, 1, 2]);
    expect(niceTicks(1_234)).toEqual([0, 500, 1000, 1500]);
  });
});

describe("UsageChart", () => {
  it("draws each count as a bar segment whose height is proportional to it, stacked on the baseline and never above the plot", async () => {
    await fc.assert(
      fc.asyncProperty(chartData(120), async ([g, first, rows]) => {
        const data = series(g, first, rows);
        const doc = await parse(await render(UsageChart({ title: "Usage", granularity: g, data, id: "u" })));
        const svg = one(doc, tag("svg"));
        const { baselineY, topY, topValue } = axes(svg);
        const max = Math.max(...data.map(total));
        expect(topValue).toBeGreaterThanOrEqual(max);
        const scale = (baselineY - topY) / topValue;
        const groups = all(one(svg, classed("kw-chart-bars")), (n) => "data-start" in n.attrs);
        // Every bucket with a request has its bar; empty buckets draw nothing.
        expect(groups.map((gr) => gr.attrs["data-start"])).toEqual(data.filter((b) => total(b) > 0).map((b) => b.start));
        for (const group of groups) {
          const bucket = data.find((b) => b.start === group.attrs["data-start"])!;
          const rects = all(group, tag("rect"));
          expect(rects.map((r) => OUTCOMES.find((o) => classed(`kw-chart-${o}`)(r)))).toEqual(OUTCOMES.filter((o) => bucket[o] > 0));
          let bottom = baselineY;
          for (const rect of rects) {
            const outcome = OUTCOMES.find((o) => classed(`kw-chart-${o}`)(rect))!;
            expect(Math.abs(num(rect, "height") - bucket[outcome] * scale)).toBeLessThanOrEqual(0.01);
            expect(Math.abs(num(rect, "y") + num(rect, "height") - bottom)).toBeLessThanOrEqual(0.02);
            expect(one(rect, tag("title")).text).toMatch(new RegExp(` UTC — ${commas(bucket[outcome])} ${words[outcome]}$`));
            bottom = num(rect, "y");
          }
          expect(bottom).toBeGreaterThanOrEqual(topY - 0.02);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("spaces its x labels so that they never overlap, even at the largest font a phone gets, and puts each under its own bucket", async () => {
    const fonts = [...USAGE_CHART_CSS.matchAll(/\.kw-chart-svg text \{[^}]*font-size: (\d+)px/g)].map((m) => Number(m[1]));
    const font = Math.max(...fonts);
    expect(fonts.length).toBeGreaterThan(1);
    // 0.6 em: a digit of a system UI font is 0.55–0.6 em wide.
    const width = (label: string) => label.length * 0.6 * font;
    const limits: Record<Granularity, number> = { minute: 1_440, hour: 2_160, day: 730 };
    await fc.assert(
      fc.asyncProperty(
        granularity.chain((g) => fc.tuple(fc.constant(g), firstBucket(g), fc.integer({ min: 1, max: limits[g] }))),
        async ([g, first, n]) => {
          // Labels depend on the buckets, not on the counts: one request keeps the markup small.
          const data = series(g, first, Array.from({ length: n }, (_, i) => ({ admitted: i === 0 ? 1 : 0, rate_limited: 0, credits_exhausted: 0, refused: 0 })));
          const html = await render(UsageChart({ title: "Usage", granularity: g, data, id: "u" }));
          const svg = one(await parse(html.slice(html.indexOf("<svg"), html.indexOf("</svg>") + 6)), tag("svg"));
          const viewWidth = Number(svg.attrs.viewbox!.split(" ")[2]);
          const { left, right } = axes(svg);
          const labels = all(one(svg, classed("kw-chart-xaxis")), tag("text")).map((t) => ({ x: num(t, "x"), text: t.text }));
          expect(labels.length).toBeGreaterThanOrEqual(1);
          expect(labels.length * Math.min(...labels.map((l) => width(l.text)))).toBeLessThanOrEqual(viewWidth);
          for (const [i, l] of labels.entries()) {
            expect(l.x - width(l.text) / 2).toBeGreaterThanOrEqual(0);
            expect(l.x + width(l.text) / 2).toBeLessThanOrEqual(viewWidth);
            const next = labels[i + 1];
            if (next) expect(next.x - l.x).toBeGreaterThanOrEqual((width(l.text) + width(next.text)) / 2);
            // The label names the bucket drawn above it: its time (its date at midnight and for days).
            const at = Date.parse(data[Math.floor(((l.x - left) / (right - left)) * n)]!.start);
            const date = new Date(at).toUTCString().slice(8, 11) + " " + new Date(at).getUTCDate();
            const time = new Date(at).toISOString().slice(11, 16);
            expect(l.text).toBe(g === "day" || time === "00:00" ? date : time);
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it("says what it shows to a screen reader: role img named by its title and a description of the totals, in UTC", async () => {
    const html = await render(UsageChart({ title: "Last 24 hours", granularity: "hour", data: fixed, id: "day-chart" }));
    const svg = one(await parse(html), tag("svg"));
    expect(svg.attrs.role).toBe("img");
    expect(svg.attrs.viewbox).toBe("0 0 640 276");
    expect(svg.attrs.width).toBeUndefined(); // scales to its container, 375 px phones included
    const [titleId, descId] = svg.attrs["aria-labelledby"]!.split(" ");
    expect(one(svg, (n) => n.attrs.id === titleId)).toMatchObject({ tag: "title", text: "Last 24 hours" });
    const desc = one(svg, (n) => n.attrs.id === descId);
    expect(desc.tag).toBe("desc");
    expect(desc.text).toBe(
      "Last 24 hours by hour: 1,254 admitted, 5 rate-limited, 0 credits exhausted, 2 refused. Times in UTC, Nov 26, 15:00 to Nov 27, 14:00. Busiest hour: Nov 27, 14:00, 120 requests.",
    );
    // Hovering a segment names its bucket and count.
    const segmentTitles = all(one(svg, classed("kw-chart-bars")), tag("title")).map((t) => t.text);
    expect(segmentTitles).toContain("Nov 27, 14:00 UTC — 120 admitted");
    expect(segmentTitles).toContain("Nov 27, 13:00 UTC — 5 rate-limited");
    // The legend names every colour, with its total.
    const legend = all(one(await parse(html), classed("kw-chart-legend")), tag("li")).map((li) => li.text);
    expect(legend.map((t) => t.split(" (")[0])).toEqual(["Admitted 1,254", "Rate-limited 5", "Credits exhausted 0", "Refused 2"]);
    // Two charts on one page label themselves, not each other.
    const other = one(await parse(await render(UsageChart({ title: "Last 30 days", granularity: "day", data: fixed, id: "month-chart" }))), tag("svg"));
    expect(other.attrs["aria-labelledby"]).not.toBe(svg.attrs["aria-labelledby"]);
  });

  it("puts the numbers in a table behind 'Show the numbers': every bucket, every count, and the totals", async () => {
    await fc.assert(
      fc.asyncProperty(chartData(60), async ([g, first, rows]) => {
        const data = series(g, first, rows);
        const doc = await parse(await render(UsageChart({ title: "Usage", granularity: g, data, id: "u" })));
        const details = one(doc, tag("details"));
        expect(one(details, tag("summary")).text).toBe("Show the numbers");
        const table = one(details, tag("table"));
        expect(one(table, tag("caption")).text).toBe(`Usage, requests by ${g} (UTC)`);
        const head = all(one(table, tag("thead")), tag("th"));
        expect(head.map((th) => [th.attrs.scope, th.text])).toEqual(
          [`${g[0]!.toUpperCase()}${g.slice(1)} (UTC)`, "Admitted", "Rate-limited", "Credits exhausted", "Refused", "Total"].map((t) => ["col", t]),
        );
        const body = all(one(table, tag("tbody")), tag("tr"));
        expect(body.length).toBe(data.length);
        body.forEach((tr, i) => {
          const b = data[i]!;
          const th = one(tr, tag("th"));
          expect(th.attrs.scope).toBe("row");
          expect(one(th, tag("time")).attrs.datetime).toBe(b.start);
          expect(all(tr, tag("td")).map((td) => td.text)).toEqual([...OUTCOMES.map((o) => b[o]), total(b)].map(commas));
        });
        const foot = all(one(table, tag("tfoot")), (n) => n.tag === "td" || n.tag === "th").map((c) => c.text);
        const sums = OUTCOMES.map((o) => data.reduce((s, b) => s + b[o], 0));
        expect(foot).toEqual(["Total", ...[...sums, sums.reduce((a, b) => a + b, 0)].map(commas)]);
      }),
      { numRuns: 25 },
    );
  });

  it("when nothing happened, still draws its axes and says 'No requests in this period'", async () => {
    const data = series("day", Date.UTC(2026, 9, 29) / BUCKET_MS.day, Array.from({ length: 30 }, () => ({ admitted: 0, rate_limited: 0, credits_exhausted: 0, refused: 0 })));
    const doc = await parse(await render(UsageChart({ title: "Last 30 days", granularity: "day", data, id: "m" })));
    const svg = one(doc, tag("svg"));
    const { ticks, baselineY } = axes(svg);
    expect(ticks).toEqual([0, 1, 2]);
    expect(baselineY).toBeGreaterThan(0);
    expect(all(one(svg, classed("kw-chart-xaxis")), tag("text")).map((t) => t.text)).toEqual(["Nov 2", "Nov 9", "Nov 16", "Nov 23"]); // Mondays
    expect(all(svg, tag("rect"))).toEqual([]);
    const empty = one(svg, classed("kw-chart-empty"));
    expect(empty.text).toBe(EMPTY_TEXT);
    expect(num(empty, "x")).toBe((axes(svg).left + axes(svg).right) / 2);
    expect(empty.attrs["text-anchor"]).toBe("middle");
    expect(one(svg, tag("desc")).text).toContain("0 admitted, 0 rate-limited, 0 credits exhausted, 0 refused");
    expect(one(svg, tag("desc")).text).toContain(EMPTY_TEXT);
    // A chart with requests has no such label.
    const busy = await render(UsageChart({ title: "Last 24 hours", granularity: "hour", data: fixed, id: "d" }));
    expect(busy).not.toContain(EMPTY_TEXT);
  });

  it("keeps to the CSP: no style attribute, no <style>, no colour in the markup; every colour class has its rule in the dashboard's stylesheet", async () => {
    const outputs = [
      await render(UsageChart({ title: "Last 24 hours", granularity: "hour", data: fixed, id: "d" })),
      await render(UsageChart({ title: "Nothing", granularity: "minute", data: series("minute", 29_000_000, Array.from({ length: 60 }, () => ({ admitted: 0, rate_limited: 0, credits_exhausted: 0, refused: 0 }))), id: "e" })),
      await render(Sparkline({ data: fixed })),
    ];
    for (const html of outputs) {
      expect(html).not.toMatch(/\sstyle=|<style|\s(fill|stroke|color)=|#[0-9a-f]{3,6}\b/i);
      expect(html).not.toMatch(/<script|\son[a-z]+=/i);
    }
    for (const o of OUTCOMES) {
      expect(outputs[0]).toContain(`kw-chart-${o}`);
      expect(USAGE_CHART_CSS).toMatch(new RegExp(`\\.kw-chart-${o} \\{ fill: #[0-9a-f]{6}; background-color: #[0-9a-f]{6}; \\}`));
    }
    // Four colours a person can tell apart.
    const colours = OUTCOMES.map((o) => USAGE_CHART_CSS.match(new RegExp(`\\.kw-chart-${o} \\{ fill: (#[0-9a-f]{6})`))![1]);
    expect(new Set(colours).size).toBe(4);
  });
});

describe("Sparkline", () => {
  it("draws admitted requests per bucket in an 80×20 box, named with the period's total", async () => {
    const svg = one(await parse(await render(Sparkline({ data: fixed }))), tag("svg"));
    expect(svg.attrs).toMatchObject({ role: "img", viewbox: "0 0 80 20", "aria-label": "24-hour usage: 1,254 admitted requests" });
    const points = one(svg, tag("polyline")).attrs.points!.split(" ").map((p) => p.split(",").map(Number) as [number, number]);
    expect(points.length).toBe(fixed.length);
    expect(points[0]![0]).toBe(0);
    expect(points.at(-1)![0]).toBe(80);
    // The busiest bucket (120, the last) is at the top; 34 sits lower than 50.
    expect(points.at(-1)![1]).toBe(1);
    expect(points[22]![1]).toBeGreaterThan(points[0]![1]);
    for (const [, y] of points) expect(y).toBeGreaterThanOrEqual(1);
  });

  it("is a flat line at the bottom when nothing was admitted, and says so", async () => {
    const quiet = fixed.map((b) => ({ ...b, admitted: 0 }));
    const svg = one(await parse(await render(Sparkline({ data: quiet, period: "30-day" }))), tag("svg"));
    expect(svg.attrs["aria-label"]).toBe("30-day usage: 0 admitted requests");
    const ys = one(svg, tag("polyline")).attrs.points!.split(" ").map((p) => Number(p.split(",")[1]));
    expect(new Set(ys)).toEqual(new Set([19]));
  });
});
