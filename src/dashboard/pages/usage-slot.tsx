/**
 * Where the usage charts of DESIGN §7 go (last 24 h, last 30 days), on the partner's overview and
 * on each key's page: `GET /v1/partners/{partner_id}/usage` and `GET /v1/keys/{key_id}/usage`
 * through the internal API, drawn as server-rendered SVG with the numbers as a table. Not built
 * yet: until then it renders nothing, so the pages show no empty box.
 */
export function UsageChartSlot(_props: { kind: "partner" | "key"; id: string }) {
  return null;
}
