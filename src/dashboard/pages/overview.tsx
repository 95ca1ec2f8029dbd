import { rateLimitTiers } from "../../config";
import { renderPage } from "../layout";
import { portalOf, portalRoute, type DashboardRouter, type PortalView } from "../portal";
import type { DashboardContext } from "../types";
import { Badge, Empty, Notice } from "../ui";
import { KeysTable, type KeyView } from "./keys";
import { UsageChartSlot } from "./usage-slot";

const DONE: Record<string, string> = {
  created: "Partner created. Add its users and keys below.",
  status: "Status saved. It applies to every key of this partner from its next request.",
  tier: "Tier saved. It applies to the partner's keys without a tier of their own.",
};

function PartnerCard({ view }: { view: PortalView }) {
  const p = view.partner;
  return (
    <section class="card" aria-labelledby="partner-title">
      <h2 id="partner-title">Partner</h2>
      <dl class="details">
        <div>
          <dt>Name</dt>
          <dd>{p.name}</dd>
        </div>
        <div>
          <dt>Slug</dt>
          <dd>
            <code>{p.slug}</code>
          </dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd>
            <Badge status={p.status} />
          </dd>
        </div>
        <div>
          <dt>Rate-limit tier</dt>
          <dd>{p.rate_limit_tier}</dd>
        </div>
        <div>
          <dt>Contact</dt>
          <dd>{p.contact_email}</dd>
        </div>
        <div>
          <dt>Scopes</dt>
          <dd>{p.scopes.length ? p.scopes.map((s) => <code class="tag">{s}</code>) : <span class="muted">None</span>}</dd>
        </div>
      </dl>
    </section>
  );
}

/** The operator's controls for one partner: suspend or reactivate, and its tier. */
function OperatorControls({ c, view }: { c: DashboardContext; view: PortalView }) {
  const p = view.partner;
  const action = `/dashboard/partners/${p.id}`;
  return (
    <section class="card" aria-labelledby="manage-title">
      <h2 id="manage-title">Manage</h2>
      <div class="grid-2">
        <form method="post" action={`${action}/status`} class="stack">
          <input type="hidden" name="back" value={action} />
          {p.status === "active" ? (
            <>
              <p>Suspending refuses every key of this partner (within 30 seconds everywhere) until it is reactivated.</p>
              <input type="hidden" name="status" value="suspended" />
              <button type="submit" class="button danger">
                Suspend partner
              </button>
            </>
          ) : p.status === "suspended" ? (
            <>
              <p>This partner is suspended: its keys are refused.</p>
              <input type="hidden" name="status" value="active" />
              <button type="submit" class="button">
                Reactivate partner
              </button>
            </>
          ) : (
            <p>This partner is revoked: it gets no new keys and its keys are refused.</p>
          )}
        </form>
        <form method="post" action={`${action}/tier`} class="stack">
          <div class="field">
            <label for="partner-tier">Rate-limit tier</label>
            <select id="partner-tier" name="rate_limit_tier">
              {Object.entries(rateLimitTiers(c.env)).map(([name, tier]) => (
                <option value={name} selected={p.rate_limit_tier === name}>{`${name} — ${tier.limit} per ${tier.window_seconds} s`}</option>
              ))}
            </select>
          </div>
          <button type="submit" class="button">
            Save tier
          </button>
        </form>
      </div>
    </section>
  );
}

function RecentKeys({ keys, base }: { keys: KeyView[] | null; base: string }) {
  if (keys === null) return null;
  return (
    <section class="card" aria-labelledby="recent-keys-title">
      <div class="card-head">
        <h2 id="recent-keys-title">Recent keys</h2>
        <a href={`${base}/keys`}>All keys</a>
      </div>
      {keys.length === 0 ? (
        <Empty title="No keys yet.">
          <a class="button primary" href={`${base}/keys`}>
            Create a key
          </a>
        </Empty>
      ) : (
        <KeysTable keys={keys} base={base} compact />
      )}
    </section>
  );
}

async function renderOverview(c: DashboardContext) {
  const view = await portalOf(c);
  if (!view) return c.redirect("/dashboard/partners", 302);
  const { portal, signedIn } = view;
  // The recent keys need keys:read; without it the overview simply leaves them out.
  const keys = await view.api.get<{ data: KeyView[] }>(`/v1/partners/${portal.partnerId}/keys?limit=5`);
  const done = DONE[c.req.query("done") ?? ""];
  const body = (
    <>
      <div class="page-head">
        <h1>{view.partner.name}</h1>
        {signedIn.kind === "key" ? <p class="muted">{`Signed in as ${signedIn.user.first_name} ${signedIn.user.last_name}`.trim()} with the token “{signedIn.record.key.name}”.</p> : null}
      </div>
      {done ? <Notice kind="success">{done}</Notice> : null}
      {view.partner.status !== "active" ? <Notice kind="error">This partner is {view.partner.status}: its keys are refused.</Notice> : null}
      <UsageChartSlot api={view.api} kind="partner" id={portal.partnerId} byMinute={c.req.query("usage") === "minute"} />
      <div class="grid-2">
        <PartnerCard view={view} />
        {signedIn.kind === "key" ? (
          <section class="card" aria-labelledby="access-title">
            <h2 id="access-title">Your access</h2>
            <p>What you can do here is what your token may do:</p>
            <p>{signedIn.principal.scopes.length ? signedIn.principal.scopes.map((s) => <code class="tag">{s}</code>) : <span class="muted">No scopes</span>}</p>
          </section>
        ) : (
          <OperatorControls c={c} view={view} />
        )}
      </div>
      <RecentKeys keys={keys.ok ? keys.body.data : null} base={portal.base} />
    </>
  );
  return renderPage(c, { title: view.partner.name, active: portal.base, portal: view.nav }, body);
}

export function registerOverview(router: DashboardRouter): void {
  portalRoute(router, "GET", "", renderOverview);
}
