import { expectOk, pageErrorOf } from "../internal-api";
import { renderPage } from "../layout";
import { formOf, sessionOf, type DashboardRouter, type PartnerView } from "../portal";
import { pageNotFound, type DashboardContext, type InternalApi, type Problem } from "../types";
import { Badge, DataTable, describedBy, Empty, FieldErrors, linesOf, Notice, Pager, ProblemNotice, TextField, When } from "../ui";
import { tierText, TierOptions } from "./budgets";
import { safeNext } from "./sign-in";

type Page = { data: PartnerView[]; next_cursor: string | null };

/**
 * The API lists partners by page and has no search, so a search pages through the list here,
 * on the server, and filters by slug and name: at most this many pages of 100, newest first.
 */
const SEARCH_PAGES = 10;

async function searchPartners(api: InternalApi, q: string): Promise<{ matches: PartnerView[]; exhausted: boolean }> {
  const needle = q.toLowerCase();
  const matches: PartnerView[] = [];
  let cursor = "";
  for (let i = 0; i < SEARCH_PAGES; i++) {
    const page = expectOk(await api.get<Page>(`/v1/partners?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`));
    matches.push(...page.data.filter((p) => p.slug.toLowerCase().includes(needle) || p.name.toLowerCase().includes(needle)));
    if (!page.next_cursor) return { matches, exhausted: true };
    cursor = page.next_cursor;
  }
  return { matches, exhausted: false };
}

interface PartnerForm {
  slug: string;
  name: string;
  contact_email: string;
  website_url: string;
  rate_limit_tier: string;
  scopes: string;
}

const EMPTY_FORM: PartnerForm = { slug: "", name: "", contact_email: "", website_url: "", rate_limit_tier: "", scopes: "" };
const FORM_FIELDS = ["slug", "name", "contact_email", "website_url", "rate_limit_tier", "scopes"];

/** Every field of a new partner is required by the API, so each input says so too. */
function Input(props: { name: keyof PartnerForm; label: string; form: PartnerForm; problem?: Problem | null; type?: string; hint?: string }) {
  const { name, form, ...rest } = props;
  return <TextField id={`partner-${name}`} name={name} value={form[name]} required {...rest} />;
}

function CreatePartnerForm({ c, form, problem }: { c: DashboardContext; form: PartnerForm; problem?: Problem | null }) {
  return (
    <section class="card" aria-labelledby="create-partner-title">
      <h2 id="create-partner-title">Create a partner</h2>
      <ProblemNotice problem={problem} fields={FORM_FIELDS} />
      <form method="post" action="/dashboard/partners" class="stack">
        <div class="grid-2">
          <Input name="name" label="Name" form={form} problem={problem} />
          <Input name="slug" label="Slug" form={form} problem={problem} hint="Letters, digits, _ and -; unique." />
        </div>
        <div class="grid-2">
          <Input name="contact_email" label="Contact email" type="email" form={form} problem={problem} />
          <Input name="website_url" label="Website" type="url" form={form} problem={problem} />
        </div>
        <div class="field">
          <label for="partner-rate_limit_tier">Rate-limit tier</label>
          <select id="partner-rate_limit_tier" name="rate_limit_tier">
            <TierOptions env={c.env} selected={form.rate_limit_tier} />
          </select>
          <FieldErrors problem={problem} field="rate_limit_tier" />
        </div>
        <div class="field">
          <label for="partner-scopes">Scopes</label>
          <textarea id="partner-scopes" name="scopes" rows={4} spellcheck={false} aria-describedby={describedBy(problem, "scopes")}>
            {form.scopes}
          </textarea>
          <p class="hint">One per line, such as keys:read, keys:write, users:read, users:write, audit:read, and your own API's scopes.</p>
          <FieldErrors problem={problem} field="scopes" entries={linesOf(form.scopes)} />
        </div>
        <button type="submit" class="button primary">
          Create partner
        </button>
      </form>
    </section>
  );
}

function StatusButton({ partner, back }: { partner: PartnerView; back: string }) {
  if (partner.status === "revoked") return <span class="muted">—</span>;
  const suspend = partner.status === "active";
  return (
    <form method="post" action={`/dashboard/partners/${partner.id}/status`}>
      <input type="hidden" name="back" value={back} />
      <input type="hidden" name="status" value={suspend ? "suspended" : "active"} />
      <button type="submit" class={`button small ${suspend ? "danger" : "secondary"}`} aria-label={`${suspend ? "Suspend" : "Reactivate"} ${partner.name}`}>
        {suspend ? "Suspend" : "Reactivate"}
      </button>
    </form>
  );
}

async function renderPartners(c: DashboardContext, extra: { form?: PartnerForm; problem?: Problem | null } = {}) {
  const { api } = sessionOf(c);
  const get = c.req.method === "GET";
  const q = get ? (c.req.query("q") ?? "").trim() : "";
  const cursor = get ? (c.req.query("cursor") ?? "") : "";
  let list: PartnerView[];
  let next: string | null = null;
  let partial = false;
  if (q) {
    const found = await searchPartners(api, q);
    list = found.matches;
    partial = !found.exhausted;
  } else {
    const page = expectOk(await api.get<Page>(`/v1/partners?limit=25${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`));
    list = page.data;
    next = page.next_cursor;
  }
  const back = `/dashboard/partners${q ? `?q=${encodeURIComponent(q)}` : ""}`;
  const body = (
    <>
      <div class="page-head">
        <h1>Partners</h1>
        <p class="muted">Every partner of this Keyward deployment. Open one to manage its keys, users and audit log.</p>
      </div>
      {c.req.query("done") === "status" ? <Notice kind="success">Status saved.</Notice> : null}
      <section class="card" aria-labelledby="partners-title">
        <div class="card-head">
          <h2 id="partners-title">{q ? `Partners matching “${q}”` : "All partners"}</h2>
          <form method="get" action="/dashboard/partners" class="inline-form" role="search">
            <label for="partner-search">Search</label>
            <input id="partner-search" name="q" type="search" value={q} placeholder="Slug or name" />
            <button type="submit" class="button secondary small">
              Search
            </button>
          </form>
        </div>
        {partial ? <Notice kind="info">{`Searched the newest ${SEARCH_PAGES * 100} partners.`}</Notice> : null}
        {list.length === 0 ? (
          <Empty title={q ? "No partner matches." : "No partners yet — create one below."} />
        ) : (
          <DataTable label="Partners" columns={["Name", "Slug", "Status", "Tier", "Created", { hidden: "Actions" }]}>
            {list.map((p) => (
              <tr>
                <td>
                  <a href={`/dashboard/partners/${p.id}`}>{p.name}</a>
                </td>
                <td>
                  <code>{p.slug}</code>
                </td>
                <td>
                  <Badge status={p.status} />
                </td>
                <td>{tierText(c.env, p.rate_limit_tier)}</td>
                <td>
                  <When at={p.created_at} />
                </td>
                <td>
                  <StatusButton partner={p} back={back} />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
        {q ? null : <Pager href="/dashboard/partners" next={next} paged={cursor !== ""} />}
      </section>
      <CreatePartnerForm c={c} form={extra.form ?? EMPTY_FORM} problem={extra.problem} />
    </>
  );
  return renderPage(c, { title: "Partners", active: "/dashboard/partners" }, body);
}

/** Operator-only pages: a partner user gets the same 404 as for anything else that is not theirs. */
function operatorOnly(handler: (c: DashboardContext) => Promise<Response>) {
  return async (c: DashboardContext) => {
    if (sessionOf(c).signedIn.kind !== "operator") throw pageNotFound();
    return handler(c);
  };
}

/** A change to one partner through PATCH /v1/partners/{partner_id}, then back where it was asked. */
async function patchPartner(c: DashboardContext, patch: Record<string, unknown>, done: string, back: string) {
  const id = c.req.param("partner_id") ?? "";
  const answer = await sessionOf(c).api.patch(`/v1/partners/${encodeURIComponent(id)}`, patch);
  if (!answer.ok) throw pageErrorOf(answer.problem);
  const to = safeNext(back);
  return c.redirect(`${to}${to.includes("?") ? "&" : "?"}done=${done}`, 303);
}

export function registerPartners(router: DashboardRouter): void {
  router.get("/partners", operatorOnly((c) => renderPartners(c)));

  router.post(
    "/partners",
    operatorOnly(async (c) => {
      const f = await formOf(c);
      const form: PartnerForm = {
        slug: f.one("slug"),
        name: f.one("name"),
        contact_email: f.one("contact_email"),
        website_url: f.one("website_url"),
        rate_limit_tier: f.one("rate_limit_tier"),
        scopes: f.one("scopes"),
      };
      const body = { ...form, scopes: linesOf(form.scopes), ...(form.rate_limit_tier ? {} : { rate_limit_tier: undefined }) };
      const answer = await sessionOf(c).api.post<PartnerView>("/v1/partners", body);
      if (answer.ok) return c.redirect(`/dashboard/partners/${answer.body.id}?done=created`, 303);
      // Refused: the form again with the API's words, as a 200 page (key-actions.tsx, `refused`).
      if (![400, 409].includes(answer.status)) throw pageErrorOf(answer.problem);
      return renderPartners(c, { form, problem: answer.problem });
    }),
  );

  router.post(
    "/partners/:partner_id/status",
    operatorOnly(async (c) => {
      const f = await formOf(c);
      const status = f.one("status") === "suspended" ? "suspended" : "active";
      return patchPartner(c, { status }, "status", f.one("back") || `/dashboard/partners/${c.req.param("partner_id")}`);
    }),
  );

  // Operator-only in the API too (§9); the route's check only spares a partner user the round trip.
  router.post(
    "/partners/:partner_id/leak-action",
    operatorOnly(async (c) => {
      const leakAction = (await formOf(c)).one("leak_action");
      return patchPartner(c, { leak_action: leakAction }, "leak", `/dashboard/partners/${c.req.param("partner_id")}`);
    }),
  );

  router.post(
    "/partners/:partner_id/tier",
    operatorOnly(async (c) => {
      const tier = (await formOf(c)).one("rate_limit_tier");
      return patchPartner(c, { rate_limit_tier: tier }, "tier", `/dashboard/partners/${c.req.param("partner_id")}`);
    }),
  );
}
