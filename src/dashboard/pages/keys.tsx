import type { ContentfulStatusCode } from "hono/utils/http-status";
import { expectOk, pageErrorOf } from "../internal-api";
import { renderPage } from "../layout";
import { formOf, portalOf, portalRoute, toPartnerList, type DashboardRouter, type PortalView } from "../portal";
import type { DashboardContext, InternalApi, Problem } from "../types";
import type { UsageBucket } from "../chart-scale";
import { Sparkline } from "../usage-chart";
import type { Refill } from "./budgets";
import { Badge, DataTable, describedBy, Empty, FieldErrors, NewSecret, Pager, ProblemNotice, ScopeBoxes, When } from "../ui";

/** A key as the API lists it (the fields the pages read). */
export interface KeyView {
  id: string;
  partner_id: string;
  user_id: string | null;
  name: string;
  description: string | null;
  type: string;
  prefix: string;
  last_four: string;
  scopes: string[];
  allowed_origins: string[];
  allowed_ips: string[];
  allowed_agents: string[];
  rate_limit_tier: string | null;
  /** DESIGN §10: the key's own credits (null = unlimited) and their refill; set by the operator only. */
  credits_remaining: number | null;
  credits_refill: Refill | null;
  credits_refilled_at: string | null;
  expires_at: string | null;
  status: string;
  revoked_at: string | null;
  revoked_by: string | null;
  /** When a leak report (POST /v1/leaks) first named the key; null while none has (DESIGN §9). */
  leaked_at: string | null;
  created_at: string;
  created_by: string;
  last_used_at: string | null;
  secret_rotated_at: string | null;
}

interface UserOption {
  id: string;
  name: string;
  email: string;
}

export const KEY_TYPE_LABELS: Record<string, string> = {
  secret: "Secret (servers)",
  publishable: "Publishable (browsers)",
  tokenization: "Tokenization",
  personal: "Personal access token",
};

const STATUS_FILTERS = ["active", "revoked", "expired"] as const;

interface CreateForm {
  name: string;
  type: string;
  description: string;
  scopes: string[];
  user_id: string;
  expires_at: string;
}

const EMPTY_FORM: CreateForm = { name: "", type: "secret", description: "", scopes: [], user_id: "", expires_at: "" };
const FORM_FIELDS = ["name", "type", "description", "scopes", "user_id", "expires_at"];

/** A key's last 24 hours as a sparkline, read through the API like the charts; a dash when it cannot be read. */
async function KeySparkline({ api, keyId }: { api: InternalApi; keyId: string }) {
  const usage = await api.get<{ data: UsageBucket[] }>(`/v1/keys/${keyId}/usage`);
  return usage.ok ? <Sparkline data={usage.body.data} /> : <span class="muted">—</span>;
}

/** The keys as a table; `compact` (the overview's recent keys) leaves out type, sparkline and creation. */
export function KeysTable({ keys, base, api, compact = false }: { keys: KeyView[]; base: string; api?: InternalApi; compact?: boolean }) {
  const full = !compact && api !== undefined;
  return (
    <DataTable label={compact ? "Recent keys" : "Keys"} columns={["Name", full && "Type", "Last four", "Status", "Last used", full && "Last 24 h", full && "Created"]}>
      {keys.map((k) => (
        <tr>
          <td>
            <a href={`${base}/keys/${k.id}`}>{k.name}</a>
          </td>
          {full ? <td>{KEY_TYPE_LABELS[k.type] ?? k.type}</td> : null}
          <td>
            <code>…{k.last_four}</code>
          </td>
          <td>
            <Badge status={k.status} />
            {k.leaked_at ? <> <Badge status="leaked" /></> : null}
          </td>
          <td>
            <When at={k.last_used_at} />
          </td>
          {full ? (
            <td>
              <KeySparkline api={api!} keyId={k.id} />
            </td>
          ) : null}
          {full ? (
            <td>
              <When at={k.created_at} />
            </td>
          ) : null}
        </tr>
      ))}
    </DataTable>
  );
}

function CreateKeyForm({ view, users, form, problem }: { view: PortalView; users: UserOption[] | null; form: CreateForm; problem?: Problem | null }) {
  return (
    <section class="card" aria-labelledby="create-key-title">
      <h2 id="create-key-title">Create a key</h2>
      <ProblemNotice problem={problem} fields={FORM_FIELDS} />
      <form method="post" action={`${view.portal.base}/keys`} class="stack">
        <div class="field">
          <label for="key-name">Name</label>
          <input id="key-name" name="name" required maxlength={200} value={form.name} aria-describedby={describedBy(problem, "name")} />
          <FieldErrors problem={problem} field="name" />
        </div>
        <div class="field">
          <label for="key-type">Type</label>
          <select id="key-type" name="type" aria-describedby={describedBy(problem, "type")}>
            {Object.entries(KEY_TYPE_LABELS).map(([value, label]) => (
              <option value={value} selected={form.type === value}>
                {label}
              </option>
            ))}
          </select>
          <FieldErrors problem={problem} field="type" />
        </div>
        <div class="field">
          <label for="key-description">Description (optional)</label>
          <input id="key-description" name="description" maxlength={1000} value={form.description} />
          <FieldErrors problem={problem} field="description" />
        </div>
        <ScopeBoxes
          name="scopes"
          legend="Scopes"
          options={view.grantable}
          checked={form.scopes}
          hint="The key can use only what is checked. You can grant only scopes you hold; publishable keys cannot hold keys:*, users:* or audit:read."
          problem={problem}
        />
        {users ? (
          <div class="field">
            <label for="key-user">User (optional)</label>
            <select id="key-user" name="user_id">
              <option value="">No user</option>
              {users.map((u) => (
                <option value={u.id} selected={form.user_id === u.id}>{`${u.name} <${u.email}>`}</option>
              ))}
            </select>
            <p class="hint">A key bound to a user can use only the scopes that user also holds. Personal access tokens need one to sign in here.</p>
            <FieldErrors problem={problem} field="user_id" />
          </div>
        ) : null}
        <div class="field">
          <label for="key-expires">Expires on (optional)</label>
          <input id="key-expires" name="expires_at" type="date" value={form.expires_at} aria-describedby={describedBy(problem, "expires_at")} />
          <p class="hint">At midnight UTC at the start of that day. Leave empty for a key that does not expire.</p>
          <FieldErrors problem={problem} field="expires_at" />
        </div>
        <button type="submit" class="button primary">
          Create key
        </button>
      </form>
    </section>
  );
}

async function renderKeys(
  c: DashboardContext,
  view: PortalView,
  extra: { status?: ContentfulStatusCode; secret?: string; form?: CreateForm; problem?: Problem | null } = {},
) {
  const { api, portal } = view;
  const cursor = c.req.query("cursor") ?? "";
  const filter = STATUS_FILTERS.find((s) => s === c.req.query("status"));
  const query = `limit=25${filter ? `&status=${filter}` : ""}${cursor && !extra.secret ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
  const page = expectOk(await api.get<{ data: KeyView[]; next_cursor: string | null }>(`/v1/partners/${portal.partnerId}/keys?${query}`));
  // The user picker needs users:read; without it the form simply has no picker.
  const users = await api.get<{ data: UserOption[] }>(`/v1/partners/${portal.partnerId}/users?limit=100`);
  const listHref = `${portal.base}/keys${filter ? `?status=${filter}` : ""}`;
  const body = (
    <>
      <div class="page-head">
        <h1>Keys</h1>
        <p class="muted">{`API keys of ${view.partner.name}.`}</p>
      </div>
      {extra.secret ? <NewSecret title="Your new key" secret={extra.secret} /> : null}
      <section class="card" aria-labelledby="keys-title">
        <div class="card-head">
          <h2 id="keys-title">All keys</h2>
          <form method="get" action={`${portal.base}/keys`} class="inline-form">
            <label for="status-filter">Show</label>
            <select id="status-filter" name="status">
              <option value="">All</option>
              {STATUS_FILTERS.map((s) => (
                <option value={s} selected={filter === s}>
                  {s[0]!.toUpperCase() + s.slice(1)}
                </option>
              ))}
            </select>
            <button type="submit" class="button secondary small">
              Filter
            </button>
          </form>
        </div>
        {page.data.length === 0 ? (
          <Empty title={filter || cursor ? "No keys match." : "No keys yet — create one below."}>
            <p class="muted">Keys let {view.partner.name}'s servers, browsers and people call the API.</p>
          </Empty>
        ) : (
          <KeysTable keys={page.data} base={portal.base} api={api} />
        )}
        <Pager href={listHref} next={page.next_cursor} paged={cursor !== ""} />
      </section>
      <CreateKeyForm view={view} users={users.ok ? users.body.data : null} form={extra.form ?? EMPTY_FORM} problem={extra.problem} />
    </>
  );
  return renderPage(c, { title: "Keys", status: extra.status, active: `${portal.base}/keys`, portal: view.nav }, body);
}

export function registerKeys(router: DashboardRouter): void {
  portalRoute(router, "GET", "/keys", async (c) => {
    const view = await portalOf(c);
    return view ? renderKeys(c, view) : toPartnerList(c);
  });

  portalRoute(router, "POST", "/keys", async (c) => {
    const view = await portalOf(c);
    if (!view) return toPartnerList(c);
    const f = await formOf(c);
    const form: CreateForm = {
      name: f.one("name"),
      type: f.one("type"),
      description: f.one("description"),
      scopes: f.all("scopes"),
      user_id: f.one("user_id"),
      expires_at: f.one("expires_at"),
    };
    const body = {
      name: form.name,
      type: form.type,
      scopes: form.scopes,
      ...(form.description && { description: form.description }),
      ...(form.user_id && { user_id: form.user_id }),
      ...(form.expires_at && { expires_at: form.expires_at }),
    };
    const created = await view.api.post<{ key: string }>(`/v1/partners/${view.portal.partnerId}/keys`, body);
    // The one answer that holds the full key: rendered here, never stored, never redirected through.
    if (created.ok) return renderKeys(c, view, { status: 201, secret: created.body.key });
    // Refused: the form again with the API's words, as a 200 page (key-actions.tsx, `refused`).
    if (![400, 403, 409].includes(created.status)) throw pageErrorOf(created.problem);
    return renderKeys(c, view, { form, problem: created.problem });
  });
}
