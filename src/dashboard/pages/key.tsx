import type { ContentfulStatusCode } from "hono/utils/http-status";
import { expectOk } from "../internal-api";
import { renderPage } from "../layout";
import { portalOf, portalRoute, toPartnerList, type DashboardRouter, type PortalView } from "../portal";
import { pageNotFound, type DashboardContext, type Problem } from "../types";
import { Badge, describedBy, Details, FieldErrors, linesOf, NewSecret, Notice, ProblemNotice, ScopeBoxes, When, type DetailRow } from "../ui";
import { BUDGET_FIELDS, BudgetFields, budgetFormOf, budgetRows, tierText, type BudgetForm } from "./budgets";
import { UsageChartSlot } from "./usage-slot";
import { KEY_TYPE_LABELS, type KeyView } from "./keys";

/** A key with `?expand=actors,user`: who created and revoked it, and its user. */
export type KeyDetail = KeyView & {
  created_by_name?: string | null;
  revoked_by_name?: string | null;
  user?: { id: string; name: string; role: string; kind: string } | null;
};

/** What the last action did, for the page it redirected to (fixed texts: nothing from the URL is echoed). */
const DONE: Record<string, string> = {
  revoked: "The key is revoked. Requests with it are refused from now on.",
  allowlists: "Allowlists saved. They apply from the key's next request.",
  scopes: "Scopes saved. They apply from the key's next request.",
  budget: "Credits saved. They apply from the key's next request.",
};

/** The allowlist textareas as submitted, kept when the API refused them. */
export interface AllowlistForm {
  allowed_origins: string;
  allowed_ips: string;
  allowed_agents: string;
}

export interface KeyPageExtras {
  status?: ContentfulStatusCode;
  secret?: string;
  /** The form the problem belongs to, so its errors appear there. */
  problemIn?: "allowlists" | "scopes" | "rotate" | "budget";
  problem?: Problem | null;
  allowlists?: AllowlistForm;
  scopes?: string[];
  budget?: BudgetForm;
}

/** The key, if it exists and belongs to the portal's partner; 404 otherwise (the operator sees every partner's keys). */
export async function keyOf(c: DashboardContext, view: PortalView): Promise<KeyDetail> {
  const keyId = c.req.param("key_id") ?? "";
  const key = expectOk(await view.api.get<KeyDetail>(`/v1/keys/${encodeURIComponent(keyId)}?all_permissions=true&expand=actors,user`));
  if (key.partner_id !== view.portal.partnerId) throw pageNotFound();
  return key;
}

/** Who acted, in words: the operator and a leak report (POST /v1/leaks) are actors without a user to name. */
const actorLabel = (id: string | null, name: string | null | undefined) =>
  id === "operator" ? "Operator" : id === "leak_report" ? "a leak report" : name || id || "—";

function KeyDetails({ c, apiKey: key }: { c: DashboardContext; apiKey: KeyDetail }) {
  const rows: DetailRow[] = [
    ["Key id", <code>{key.id}</code>],
    ["Type", KEY_TYPE_LABELS[key.type] ?? key.type],
    ["Key", <code>{`${key.prefix}…${key.last_four}`}</code>],
    ["User", key.user ? `${key.user.name} (${key.user.role})` : "None"],
    ["Created", <><When at={key.created_at} /> by {actorLabel(key.created_by, key.created_by_name)}</>],
    ["Last used", <When at={key.last_used_at} />],
    ["Expires", <When at={key.expires_at} empty="Never" />],
    ["Secret rotated", <When at={key.secret_rotated_at} empty="Not yet" />],
    ["Rate-limit tier", key.rate_limit_tier ? tierText(c.env, key.rate_limit_tier) : "The partner's"],
    ...budgetRows(key),
  ];
  if (key.leaked_at) rows.push(["Reported leaked", <When at={key.leaked_at} />]);
  if (key.revoked_at) rows.push(["Revoked", <><When at={key.revoked_at} /> by {actorLabel(key.revoked_by, key.revoked_by_name)}</>]);
  return <Details rows={rows} />;
}

/**
 * A leak report named this key (DESIGN §9): say so first, and what is left to do. The report may
 * have revoked it (a signed report, the partner's `leak_action` being `revoke`) or only flagged it.
 */
function LeakedNotice({ apiKey: key }: { apiKey: KeyDetail }) {
  if (!key.leaked_at) return null;
  return (
    <Notice kind="error">
      <p data-testid="key-leaked">
        <strong>Leaked:</strong> a leak report named this key on <When at={key.leaked_at} />.{" "}
        {key.status === "active"
          ? "It still works: rotate its secret, or revoke it, and remove it from where it was published."
          : "It no longer works; remove it from where it was published."}
      </p>
    </Notice>
  );
}

function RotateForm({ apiKey: key, base, own, problem }: { apiKey: KeyDetail; base: string; own: boolean; problem?: Problem | null }) {
  const choices: [string, string][] = [["0", "At once"], ["3600", "After 1 hour"], ["86400", "After 24 hours"]];
  return (
    <section class="card" aria-labelledby="rotate-title">
      <h2 id="rotate-title">Rotate the secret</h2>
      <p>The key keeps its id and settings and gets a new secret, shown once. Choose how long the current secret keeps working.</p>
      {own ? <Notice kind="info">You signed in with this token: once its current secret stops working, sign in again with the new one.</Notice> : null}
      <ProblemNotice problem={problem} />
      <form method="post" action={`${base}/keys/${key.id}/rotate`} class="stack">
        <fieldset class="field">
          <legend>The current secret stops working</legend>
          <div class="checks">
            {choices.map(([value, label], i) => (
              <label class="check" for={`grace-${i}`}>
                <input type="radio" id={`grace-${i}`} name="grace_period_seconds" value={value} checked={i === 0} />
                {label}
              </label>
            ))}
          </div>
        </fieldset>
        <button type="submit" class="button">
          Rotate secret
        </button>
      </form>
    </section>
  );
}

function AllowlistsForm({ apiKey: key, base, form, problem }: { apiKey: KeyDetail; base: string; form: AllowlistForm; problem?: Problem | null }) {
  const areas: [keyof AllowlistForm, string, string][] = [
    ["allowed_origins", "Browser origins", "One origin per line, such as https://app.example.com. Empty: the partner's origins apply; with none, browsers are refused."],
    ["allowed_ips", "IP addresses and networks", "One IPv4/IPv6 address or CIDR per line, such as 203.0.113.0/24. Empty: any address."],
    ["allowed_agents", "User-Agents", "One product name per line, such as MyApp (matches MyApp/1.2). Empty: any client."],
  ];
  return (
    <section class="card" aria-labelledby="allowlists-title">
      <h2 id="allowlists-title">Allowlists</h2>
      <ProblemNotice problem={problem} fields={areas.map(([name]) => name)} />
      <form method="post" action={`${base}/keys/${key.id}/allowlists`} class="stack">
        {areas.map(([name, label, hint]) => (
          <div class="field">
            <label for={name}>{label}</label>
            <textarea id={name} name={name} rows={3} spellcheck={false} aria-describedby={[`${name}-hint`, describedBy(problem, name)].filter(Boolean).join(" ")}>
              {form[name]}
            </textarea>
            <p class="hint" id={`${name}-hint`}>
              {hint}
            </p>
            <FieldErrors problem={problem} field={name} entries={linesOf(form[name])} />
          </div>
        ))}
        <button type="submit" class="button">
          Save allowlists
        </button>
      </form>
    </section>
  );
}

/** The operator's form for the key's own credits and refill (DESIGN §10; operator-only in the API). */
function KeyBudgetForm({ apiKey: key, base, form, problem }: { apiKey: KeyDetail; base: string; form: BudgetForm; problem?: Problem | null }) {
  return (
    <section class="card" aria-labelledby="budget-title">
      <h2 id="budget-title">Credits</h2>
      <p>The key's own balance, spent alongside its partner's shared credits if it has any: a request short of either is refused.</p>
      <ProblemNotice problem={problem} fields={BUDGET_FIELDS} />
      <form method="post" action={`${base}/keys/${key.id}/budget`} class="stack">
        <BudgetFields id="key-budget" form={form} problem={problem} scope={false} />
        <button type="submit" class="button">
          Save credits
        </button>
      </form>
    </section>
  );
}

function ScopesForm({ apiKey: key, base, options, checked, problem }: { apiKey: KeyDetail; base: string; options: string[]; checked: string[]; problem?: Problem | null }) {
  return (
    <section class="card" aria-labelledby="scopes-title">
      <h2 id="scopes-title">Scopes</h2>
      <ProblemNotice problem={problem} fields={["scopes"]} />
      <form method="post" action={`${base}/keys/${key.id}/scopes`} class="stack">
        <ScopeBoxes
          name="scopes"
          legend="The key may use"
          options={options}
          checked={checked}
          hint={key.user ? "Bound to a user: the key uses only the checked scopes its user also holds." : undefined}
          problem={problem}
        />
        <button type="submit" class="button">
          Save scopes
        </button>
      </form>
    </section>
  );
}

export async function renderKey(c: DashboardContext, view: PortalView, key: KeyDetail, extra: KeyPageExtras = {}) {
  const base = view.portal.base;
  const done = DONE[c.req.query("done") ?? ""];
  const own = view.signedIn.kind === "key" && view.signedIn.record.key.id === key.id;
  const allowlists = extra.allowlists ?? {
    allowed_origins: key.allowed_origins.join("\n"),
    allowed_ips: key.allowed_ips.join("\n"),
    allowed_agents: key.allowed_agents.join("\n"),
  };
  const problemFor = (form: KeyPageExtras["problemIn"]) => (extra.problemIn === form ? extra.problem : null);
  const body = (
    <>
      <p class="crumbs">
        <a href={`${base}/keys`}>Keys</a> <span aria-hidden="true">/</span> {key.name}
      </p>
      <div class="page-head">
        <h1>
          {key.name} <Badge status={key.status} />
          {key.leaked_at ? <> <Badge status="leaked" /></> : null}
        </h1>
        {key.description ? <p class="muted">{key.description}</p> : null}
      </div>
      {done ? <Notice kind="success">{done}</Notice> : null}
      <LeakedNotice apiKey={key} />
      {extra.secret ? <NewSecret title="The key's new secret" secret={extra.secret} /> : null}
      <section class="card" aria-labelledby="details-title">
        <h2 id="details-title">Details</h2>
        <KeyDetails c={c} apiKey={key} />
      </section>
      <UsageChartSlot api={view.api} kind="key" id={key.id} byMinute={c.req.query("usage") === "minute"} />
      {key.status === "active" ? (
        <>
          <RotateForm apiKey={key} base={base} own={own} problem={problemFor("rotate")} />
          <AllowlistsForm apiKey={key} base={base} form={allowlists} problem={problemFor("allowlists")} />
          <ScopesForm
            apiKey={key}
            base={base}
            options={[...new Set([...view.grantable, ...key.scopes])]}
            checked={extra.scopes ?? key.scopes}
            problem={problemFor("scopes")}
          />
          {view.portal.operator ? <KeyBudgetForm apiKey={key} base={base} form={extra.budget ?? budgetFormOf(key)} problem={problemFor("budget")} /> : null}
          <section class="card danger" aria-labelledby="revoke-title">
            <h2 id="revoke-title">Revoke</h2>
            <p>Revoking refuses every request with this key from the next one on, including its secret in a grace period. It cannot be undone.</p>
            <a class="button danger" href={`${base}/keys/${key.id}/revoke`}>
              Revoke this key…
            </a>
          </section>
        </>
      ) : (
        <Notice kind="info">{key.status === "revoked" ? "This key is revoked: it cannot be changed or rotated." : "This key has expired."}</Notice>
      )}
    </>
  );
  return renderPage(c, { title: key.name, status: extra.status, active: `${base}/keys`, portal: view.nav }, body);
}

export function registerKey(router: DashboardRouter): void {
  portalRoute(router, "GET", "/keys/:key_id", async (c) => {
    const view = await portalOf(c);
    if (!view) return toPartnerList(c);
    return renderKey(c, view, await keyOf(c, view));
  });
}
