import { expectOk } from "../internal-api";
import { renderPage } from "../layout";
import { portalOf, portalRoute, sessionOf, type DashboardRouter, type PortalView } from "../portal";
import type { ApiAnswer, DashboardContext, InternalApi } from "../types";
import { DataTable, Empty, Pager, When } from "../ui";

interface AuditEventView {
  id: string;
  partner_id: string;
  actor: string;
  action: string;
  target_id: string;
  at: string;
  request_id: string;
}

const ACTIONS: Record<string, string> = {
  "partner.created": "Partner created",
  "partner.updated": "Partner updated",
  "user.created": "User added",
  "user.updated": "User updated",
  "key.created": "Key created",
  "key.updated": "Key updated",
  "key.rotated": "Key rotated",
  "key.revoked": "Key revoked",
  "key.leaked": "Key reported leaked",
  "passkey.registered": "Passkey added",
  "passkey.revoked": "Passkey revoked",
};

/** Names for the ids an audit page shows, as far as one page of each list reaches. */
type Names = Map<string, string>;

/**
 * A person reads names, not ids: the partner's users and keys (one page of 100 each, as far as the
 * session may read them), or for the global log the partners. Ids past that stay ids.
 */
async function namesFor(api: InternalApi, view: PortalView | null): Promise<Names> {
  const names: Names = new Map();
  const add = (answer: ApiAnswer<{ data: { id: string; name: string }[] }>) => {
    if (answer.ok) for (const { id, name } of answer.body.data) names.set(id, name);
  };
  if (!view) add(await api.get("/v1/partners?limit=100"));
  else {
    add(await api.get(`/v1/partners/${view.portal.partnerId}/users?limit=100`));
    add(await api.get(`/v1/partners/${view.portal.partnerId}/keys?limit=100`));
  }
  return names;
}

/** Links to what an id names, inside the partner's portal at `base`, by its name when known; plain text where there is no page. */
function IdLink({ id, base, names }: { id: string; base: string; names: Names }) {
  if (id === "operator") return <span>Operator</span>;
  if (id === "leak_report") return <span>A leak report</span>;
  const name = names.get(id);
  const label = name ? <span title={id}>{name}</span> : <code>{id}</code>;
  if (/^key_/.test(id)) return <a href={`${base}/keys/${id}`}>{label}</a>;
  if (/^usr_/.test(id)) return <a href={`${base}/users/${id}`}>{label}</a>;
  return label;
}

/** The base of a partner's portal for whoever is looking: its own portal, or the operator's view of it. */
const baseFor = (view: PortalView | null, partnerId: string) => (view && !view.portal.operator ? view.portal.base : `/dashboard/partners/${partnerId}`);

function AuditTable({ events, view, names }: { events: AuditEventView[]; view: PortalView | null; names: Names }) {
  const global = view === null;
  return (
    <DataTable label="Audit events" columns={["When", global && "Partner", "What", "Who", "On", "Request id"]}>
      {events.map((e) => {
        const base = baseFor(view, e.partner_id);
        return (
          <tr>
            <td>
              <When at={e.at} />
            </td>
            {global ? (
              <td>
                <a href={base}>{names.get(e.partner_id) ?? <code>{e.partner_id.slice(0, 8)}</code>}</a>
              </td>
            ) : null}
            <td>{ACTIONS[e.action] ?? e.action}</td>
            <td>
              <IdLink id={e.actor} base={base} names={names} />
            </td>
            <td>
              {e.action.startsWith("partner.") ? <span>The partner</span> : <IdLink id={e.target_id} base={base} names={names} />}
            </td>
            <td>
              <code class="small">{e.request_id}</code>
            </td>
          </tr>
        );
      })}
    </DataTable>
  );
}

/** A partner's audit log in its portal, or, for the operator outside any partner, every partner's. */
async function renderAudit(c: DashboardContext) {
  const view = await portalOf(c);
  const { api } = sessionOf(c);
  const cursor = c.req.query("cursor") ?? "";
  const query = `limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
  const path = view ? `/v1/partners/${view.portal.partnerId}/audit-events?${query}` : `/v1/audit-events?${query}`;
  const page = expectOk(await api.get<{ data: AuditEventView[]; next_cursor: string | null }>(path));
  const names = page.data.length > 0 ? await namesFor(api, view) : new Map<string, string>();
  const href = view ? `${view.portal.base}/audit` : "/dashboard/audit";
  const body = (
    <>
      <div class="page-head">
        <h1>Audit log</h1>
        <p class="muted">{view ? `Every change to ${view.partner.name}'s keys, users and settings, newest first.` : "Every change to every partner, newest first."}</p>
      </div>
      <section class="card" aria-label="Audit events">
        {page.data.length === 0 ? (
          <Empty title={cursor ? "No older events." : "Nothing has happened yet."}>
            <p class="muted">Creating, changing, rotating or revoking a key, and adding a user, each leave an event here.</p>
          </Empty>
        ) : (
          <AuditTable events={page.data} view={view} names={names} />
        )}
        <Pager href={href} next={page.next_cursor} paged={cursor !== ""} />
      </section>
    </>
  );
  return renderPage(c, { title: "Audit log", active: href, portal: view?.nav }, body);
}

export function registerAudit(router: DashboardRouter): void {
  portalRoute(router, "GET", "/audit", renderAudit);
}
