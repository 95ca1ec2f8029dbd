import { pageErrorOf } from "../internal-api";
import { renderPage } from "../layout";
import { formOf, portalOf, portalRoute, toPartnerList, type DashboardRouter, type PortalView } from "../portal";
import { pageNotFound, type ApiAnswer, type DashboardContext } from "../types";
import { ConfirmCard, linesOf } from "../ui";
import { budgetFormFrom, budgetPatch } from "./budgets";
import { keyOf, renderKey, type KeyDetail, type KeyPageExtras } from "./key";

/** Statuses a form shows next to its fields (the API's own words); anything else is an error page. */
const FORM_STATUSES = [400, 403, 409];

/**
 * The API refused a form: the key page again with the API's problem on that form, or an error page.
 * The page answers 200: a form showing what to fix is a page that worked (a 4xx document would make
 * browsers log a console error for every typo); real error pages keep their status.
 */
async function refused(c: DashboardContext, view: PortalView, key: KeyDetail, answer: ApiAnswer<unknown>, extra: KeyPageExtras) {
  if (answer.ok) throw new Error("refused() called with a successful answer");
  if (!FORM_STATUSES.includes(answer.status)) throw pageErrorOf(answer.problem);
  return renderKey(c, view, key, { ...extra, problem: answer.problem });
}

/** Resolves the portal and the key (404 for another partner's), then runs `action`. */
function keyAction(action: (c: DashboardContext, view: PortalView, key: KeyDetail) => Promise<Response>) {
  return async (c: DashboardContext) => {
    const view = await portalOf(c);
    if (!view) return toPartnerList(c);
    return action(c, view, await keyOf(c, view));
  };
}

const keyPath = (view: PortalView, key: KeyDetail, done?: string) => `${view.portal.base}/keys/${key.id}${done ? `?done=${done}` : ""}`;

function RevokeConfirm({ view, apiKey: key }: { view: PortalView; apiKey: KeyDetail }) {
  return (
    <ConfirmCard title={`Revoke “${key.name}”?`} action={`${keyPath(view, key)}/revoke`} label="Revoke key" cancelHref={keyPath(view, key)}>
      <p>
        Every request with <code>{`${key.prefix}…${key.last_four}`}</code> is refused from the next one on, including its previous secret if a
        rotation's grace period is still running. This cannot be undone.
      </p>
      {view.signedIn.kind === "key" && view.signedIn.record.key.id === key.id ? (
        <p>
          <strong>This is the token you signed in with:</strong> revoking it signs you out.
        </p>
      ) : null}
    </ConfirmCard>
  );
}

export function registerKeyActions(router: DashboardRouter): void {
  portalRoute(
    router,
    "POST",
    "/keys/:key_id/rotate",
    keyAction(async (c, view, key) => {
      const f = await formOf(c);
      const grace = Number(f.one("grace_period_seconds") || "0");
      const answer = await view.api.post<{ key: string; api_key: KeyDetail }>(`/v1/keys/${key.id}/rotate`, { grace_period_seconds: grace });
      if (!answer.ok) return refused(c, view, key, answer, { problemIn: "rotate" });
      // The new secret is shown in this answer only: never stored, never put in a redirect.
      return renderKey(c, view, { ...key, ...answer.body.api_key }, { secret: answer.body.key });
    }),
  );

  portalRoute(
    router,
    "GET",
    "/keys/:key_id/revoke",
    keyAction(async (c, view, key) => {
      if (key.status === "revoked") return c.redirect(keyPath(view, key), 302);
      return renderPage(c, { title: `Revoke ${key.name}`, active: `${view.portal.base}/keys`, portal: view.nav }, <RevokeConfirm view={view} apiKey={key} />);
    }),
  );

  portalRoute(
    router,
    "POST",
    "/keys/:key_id/revoke",
    keyAction(async (c, view, key) => {
      const answer = await view.api.post(`/v1/keys/${key.id}/revoke`);
      if (!answer.ok) throw pageErrorOf(answer.problem);
      return c.redirect(keyPath(view, key, "revoked"), 303);
    }),
  );

  portalRoute(
    router,
    "POST",
    "/keys/:key_id/allowlists",
    keyAction(async (c, view, key) => {
      const f = await formOf(c);
      const form = { allowed_origins: f.one("allowed_origins"), allowed_ips: f.one("allowed_ips"), allowed_agents: f.one("allowed_agents") };
      const patch = {
        allowed_origins: linesOf(form.allowed_origins),
        allowed_ips: linesOf(form.allowed_ips),
        allowed_agents: linesOf(form.allowed_agents),
      };
      const answer = await view.api.patch(`/v1/keys/${key.id}`, patch);
      if (!answer.ok) return refused(c, view, key, answer, { problemIn: "allowlists", allowlists: form });
      return c.redirect(keyPath(view, key, "allowlists"), 303);
    }),
  );

  portalRoute(
    router,
    "POST",
    "/keys/:key_id/scopes",
    keyAction(async (c, view, key) => {
      const scopes = (await formOf(c)).all("scopes");
      const answer = await view.api.patch(`/v1/keys/${key.id}`, { scopes });
      if (!answer.ok) return refused(c, view, key, answer, { problemIn: "scopes", scopes });
      return c.redirect(keyPath(view, key, "scopes"), 303);
    }),
  );

  // A key's credits and refill are the operator's (DESIGN §3, §10): only the operator's view of a
  // partner has this page, so a partner user's forged POST is 404 like any page not theirs.
  router.post(
    "/partners/:partner_id/keys/:key_id/budget",
    keyAction(async (c, view, key) => {
      if (view.signedIn.kind !== "operator") throw pageNotFound();
      const form = budgetFormFrom(await formOf(c), false);
      const patch = budgetPatch(form, key);
      if (Object.keys(patch).length > 0) {
        const answer = await view.api.patch(`/v1/keys/${key.id}`, patch);
        if (!answer.ok) return refused(c, view, key, answer, { problemIn: "budget", budget: form });
      }
      return c.redirect(keyPath(view, key, "budget"), 303);
    }),
  );
}
