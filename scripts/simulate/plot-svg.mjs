// docs/simulate.svg: p99 added latency per region of the caller, grouped bars per strategy, one
// panel per scenario. Hand-written SVG (no plotting dependency) so the script runs on plain Node.
import { P } from "./params.mjs";
import { N, REGIONS } from "./locations.mjs";
import { ms, NAMES, SCEN } from "./report.mjs";

/** The whole SVG document for `results`; `stamp` says when and where it was produced. */
export function plotSvg(results, stamp) {
  const W = 960;
  const panelH = 300;
  const top = 60;
  const left = 70;
  const right = 20;
  const gap = 70;
  const H = top + 2 * panelH + gap + 60;
  const colors = { object: "#d1495b", leases: "#00798c", regional: "#edae49", kv: "#8d99ae" };
  const strategies = ["object", "leases", "regional", "kv"];
  const max = Math.max(...results.flatMap((r) => r.regions.map((g) => g.p99)).filter(Number.isFinite));
  const yMax = Math.ceil(max / 50) * 50;
  const parts = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="600">p99 added latency per region of the caller (ms), by strategy — npm run simulate</text>`);
  strategies.forEach((s, i) => {
    const x = left + i * 220;
    parts.push(`<rect x="${x}" y="36" width="12" height="12" fill="${colors[s]}"/><text x="${x + 18}" y="46">${NAMES[s]}</text>`);
  });
  ["one", "all"].forEach((scenario, p) => {
    const y0 = top + p * (panelH + gap) + 20;
    const plotH = panelH - 40;
    const plotW = W - left - right;
    parts.push(`<text x="${left}" y="${y0 - 6}" font-weight="600">${SCEN[scenario]}</text>`);
    for (let v = 0; v <= yMax; v += yMax / 5) {
      const y = y0 + plotH - (v / yMax) * plotH;
      parts.push(`<line x1="${left}" x2="${W - right}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${left - 6}" y="${y + 4}" text-anchor="end">${v}</text>`);
    }
    const groupW = plotW / REGIONS.length;
    const barW = (groupW - 24) / strategies.length;
    REGIONS.forEach((region, g) => {
      const gx = left + g * groupW + 12;
      strategies.forEach((s, i) => {
        const r = results.find((x) => x.scenario === scenario && x.strategy === s);
        const v = r.regions[g].p99;
        if (!Number.isFinite(v)) return;
        const h = (v / yMax) * plotH;
        const x = gx + i * barW;
        parts.push(`<rect x="${x.toFixed(1)}" y="${(y0 + plotH - h).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${colors[s]}"><title>${NAMES[s]}, ${region}: p99 ${ms(v)} ms</title></rect>`);
      });
      parts.push(`<text x="${gx + (groupW - 24) / 2}" y="${y0 + plotH + 16}" text-anchor="middle">${region}</text>`);
    });
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${y0 + plotH}" y2="${y0 + plotH}" stroke="#333"/>`);
  });
  parts.push(`<text x="${W / 2}" y="${H - 14}" text-anchor="middle" fill="#555">Model, not measurement: ${N} locations, RTT from great-circle distance; ${P.keys.toLocaleString("en")} Zipf keys at ${P.rps.toLocaleString("en")} req/s; seed ${P.seed}. ${stamp.replace(/`/g, "")}</text>`);
  parts.push("</svg>");
  return parts.join("\n").replaceAll("&", "&amp;");
}
