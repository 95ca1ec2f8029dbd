import type { LeakAction } from "../../db/tables";
import { pageErrorOf } from "../internal-api";
import { renderPage } from "../layout";
import { formOf, portalOf, portalRoute, toPartnerList, type DashboardRouter, type PortalView } from "../portal";
import { pageNotFound, type DashboardContext, type Problem } from "../types";
import { Badge, Details, Empty, Notice, ProblemNotice, Tags } from "../ui";
import { BUDGET_FIELDS, BudgetFields, budgetFormFrom, budgetFormOf, budgetPatch, budgetRows, SCOPE_TEXT, tierText, TierOptions, type BudgetForm } from "./budgets";
import { KeysTable, type KeyView } from "./keys";
import { UsageChartSlot } from "./usage-slot";

const DONE: Record<string, string> = {
  created: "Partner created. Add its users and keys below.",
  status: "Status saved. It applies to every key of this partner from its next request.",
  tier: "Tier saved. It applies to the partner's keys without a tier of their own.",
  leak: "Leak handling saved. It applies from the next signed leak report.",
  budget: "Rate-limit scope and credits saved. They apply from the partner's keys' next request.",
};

/**
 * What a partner's `leak_action` does (DESIGN §9), in words: typed by the API's own values, so a
 * new one cannot be added without saying here what it does.
 */
const LEAK_ACTION_TEXT: Record<LeakAction, { label: string; means: string }> = {
  revoke: {
    label: "Revoke",
    means: "Revoke (the default): a leak report signed by GitHub revokes the key at once, and the partner hears of it (key.leaked, key.revoked).",
  },
  notify: {
    label: "Notify only",
    means: "Notify only: the key is flagged as leaked (key.leaked) but keeps working until the partner rotates or revokes it.",
  },
};

/** The operator's choice of what a signed leak report does to this partner's keys (PATCH /v1/partners/{id} {leak_action}). */
function LeakActionForm({ partner }: { partner: PortalView["partner"] }) {
  return (
    <form method="post" action={`/dashboard/partners/${partner.id}/leak-action`} class="stack">
      <div class="field">
        <label for="partner-leak-action">Leaked keys</label>
        <select id="partner-leak-action" name="leak_action" aria-describedby="partner-leak-action-hint">
          {Object.entries(LEAK_ACTION_TEXT).map(([value, { label }]) => (
            <option value={value} selected={partner.leak_action === value}>
              {label}
            </option>
          ))}
        </select>
        <div class="hint" id="partner-leak-action-hint">
          {Object.values(LEAK_ACTION_TEXT).map(({ means }) => (
            <p>{means}</p>
          ))}
          <p>Either way, an unsigned report only flags a key, and a publishable key (public by design) is never revoked by a report.</p>
        </div>
      </div>
      <button type="submit" class="button">
        Save leak handling
      </button>
    </form>
  );
}

function PartnerCard({ c, view }: { c: DashboardContext; view: PortalView }) {
  const p = view.partner;
  return (
    <section class="card" aria-labelledby="partner-title">
      <h2 id="partner-title">Partner</h2>
      <Details
        rows={[
          ["Name", p.name],
          ["Slug", <code>{p.slug}</code>],
          ["Status", <Badge status={p.status} />],
          ["Rate-limit tier", tierText(c.env, p.rate_limit_tier)],
          ["Rate-limit scope", SCOPE_TEXT[p.rate_limit_scope]?.label ?? p.rate_limit_scope],
          ...budgetRows(p, "Shared credits"),
          ["Leaked keys", LEAK_ACTION_TEXT[p.leak_action].label],
          ["Contact", p.contact_email],
          ["Scopes", <Tags items={p.scopes} />],
        ]}
      />
    </section>
  );
}

/** The operator's controls for one partner: suspend or reactivate, its tier, and what a leak report does. */
function OperatorControls({ c, view, budget }: { c: DashboardContext; view: PortalView; budget?: BudgetExtras }) {
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
              <TierOptions env={c.env} selected={p.rate_limit_tier} />
            </select>
          </div>
          <button type="submit" class="button">
            Save tier
          </button>
        </form>
      </div>
      <LeakActionForm partner={p} />
      <PartnerBudgetForm partner={p} budget={budget} />
    </section>
  );
}

/** A budget form the API refused: as submitted, with the API's problem. */
interface BudgetExtras {
  form: BudgetForm;
  problem: Problem;
}

/** The operator's budget for the partner (DESIGN §10): scope, shared credits and their refill. */
function PartnerBudgetForm({ partner, budget }: { partner: PortalView["partner"]; budget?: BudgetExtras }) {
  return (
    <form method="post" action={`/dashboard/partners/${partner.id}/budget`} class="stack" aria-labelledby="budget-title">
      <h3 id="budget-title">Rate-limit scope and credits</h3>
      <ProblemNotice problem={budget?.problem} fields={BUDGET_FIELDS} />
      <BudgetFields id="partner-budget" form={budget?.form ?? budgetFormOf(partner)} problem={budget?.problem} scope />
      <button type="submit" class="button">
        Save scope and credits
      </button>
    </form>
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

async function renderOverview(c: DashboardContext, budget?: BudgetExtras) {
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
        <PartnerCard c={c} view={view} />
        {signedIn.kind === "key" ? (
          <section class="card" aria-labelledby="access-title">
            <h2 id="access-title">Your access</h2>
            <p>What you can do here is what your token may do:</p>
            <p>
              <Tags items={signedIn.principal.scopes} empty="No scopes" />
            </p>
          </section>
        ) : (
          <OperatorControls c={c} view={view} budget={budget} />
        )}
      </div>
      <RecentKeys keys={keys.ok ? keys.body.data : null} base={portal.base} />
    </>
  );
  return renderPage(c, { title: view.partner.name, active: portal.base, portal: view.nav }, body);
}

export function registerOverview(router: DashboardRouter): void {
  portalRoute(router, "GET", "", (c) => renderOverview(c));

  // Operator-only in the API too (§10); a partner user's forged POST finds no such page (404).
  router.post("/partners/:partner_id/budget", async (c) => {
    const view = await portalOf(c);
    if (!view) return toPartnerList(c);
    if (view.signedIn.kind !== "operator") throw pageNotFound();
    const form = budgetFormFrom(await formOf(c), true);
    const patch = budgetPatch(form, view.partner);
    if (Object.keys(patch).length > 0) {
      const answer = await view.api.patch(`/v1/partners/${view.partner.id}`, patch);
      if (!answer.ok) {
        // Refused: the page again with the API's words next to the fields, as a 200 page (key-actions.tsx, `refused`).
        if (![400, 409].includes(answer.status)) throw pageErrorOf(answer.problem);
        return renderOverview(c, { form, problem: answer.problem });
      }
    }
    return c.redirect(`${view.portal.base}?done=budget`, 303);
  });
}
