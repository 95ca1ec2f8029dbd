import { expectOk, pageErrorOf } from "../internal-api";
import { renderPage } from "../layout";
import { formOf, portalOf, portalRoute, toPartnerList, type DashboardRouter, type PortalView } from "../portal";
import { pageNotFound, type DashboardContext, type Problem } from "../types";
import { Badge, DataTable, Details, Empty, FieldErrors, Notice, Pager, ProblemNotice, ScopeBoxes, Tags, TextField, When } from "../ui";

interface UserView {
  id: string;
  partner_id: string;
  first_name: string;
  last_name: string;
  name: string;
  email: string;
  role: string;
  kind: string;
  permissions: string[];
  status?: string;
  created_at: string;
}

interface UserForm {
  first_name: string;
  last_name: string;
  email: string;
  role: string;
  kind: string;
  permissions: string[];
}

const EMPTY_FORM: UserForm = { first_name: "", last_name: "", email: "", role: "", kind: "user", permissions: [] };
const FORM_FIELDS = ["first_name", "last_name", "email", "role", "kind", "permissions"];

function UserField(props: { name: keyof UserForm; label: string; value: string; problem?: Problem | null; type?: string; required?: boolean; hint?: string }) {
  return <TextField id={`user-${props.name}`} {...props} />;
}

function CreateUserForm({ view, form, problem }: { view: PortalView; form: UserForm; problem?: Problem | null }) {
  return (
    <section class="card" aria-labelledby="create-user-title">
      <h2 id="create-user-title">Add a user</h2>
      <ProblemNotice problem={problem} fields={FORM_FIELDS} />
      <form method="post" action={`${view.portal.base}/users`} class="stack">
        <div class="grid-2">
          <UserField name="first_name" label="First name" value={form.first_name} problem={problem} required />
          <UserField name="last_name" label="Last name" value={form.last_name} problem={problem} />
        </div>
        <UserField name="email" label="Email" type="email" value={form.email} problem={problem} required />
        <div class="grid-2">
          <UserField name="role" label="Role" value={form.role} problem={problem} required hint="Letters, digits and _, such as BUSINESS_MANAGER." />
          <div class="field">
            <label for="user-kind">Kind</label>
            <select id="user-kind" name="kind">
              <option value="user" selected={form.kind === "user"}>
                Person
              </option>
              <option value="bot" selected={form.kind === "bot"}>
                Bot
              </option>
            </select>
            <FieldErrors problem={problem} field="kind" />
          </div>
        </div>
        <ScopeBoxes
          name="permissions"
          legend="Permissions"
          options={view.grantable}
          checked={form.permissions}
          hint="Keys bound to this user can use only scopes that are also among these."
          problem={problem}
        />
        <button type="submit" class="button primary">
          Add user
        </button>
      </form>
    </section>
  );
}

async function renderUsers(c: DashboardContext, view: PortalView, extra: { form?: UserForm; problem?: Problem | null; added?: boolean } = {}) {
  const { api, portal } = view;
  const cursor = c.req.method === "GET" ? (c.req.query("cursor") ?? "") : "";
  const query = `limit=25${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
  const page = expectOk(await api.get<{ data: UserView[]; next_cursor: string | null }>(`/v1/partners/${portal.partnerId}/users?${query}`));
  const body = (
    <>
      <div class="page-head">
        <h1>Users</h1>
        <p class="muted">{`The people and bots of ${view.partner.name}. A key bound to a user never does more than that user may.`}</p>
      </div>
      {extra.added ? <Notice kind="success">User added.</Notice> : null}
      <section class="card" aria-labelledby="users-title">
        <h2 id="users-title">All users</h2>
        {page.data.length === 0 ? (
          <Empty title={cursor ? "No more users." : "No users yet — add one below."} />
        ) : (
          <DataTable label="Users" columns={["Name", "Email", "Role", "Kind", "Status", "Added"]}>
            {page.data.map((u) => (
              <tr>
                <td>
                  <a href={`${portal.base}/users/${u.id}`}>{u.name}</a>
                </td>
                <td>{u.email}</td>
                <td>{u.role}</td>
                <td>{u.kind === "bot" ? "Bot" : "Person"}</td>
                <td>
                  <Badge status={u.status ?? "active"} />
                </td>
                <td>
                  <When at={u.created_at} />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
        <Pager href={`${portal.base}/users`} next={page.next_cursor} paged={cursor !== ""} />
      </section>
      <CreateUserForm view={view} form={extra.form ?? EMPTY_FORM} problem={extra.problem} />
    </>
  );
  return renderPage(c, { title: "Users", active: `${portal.base}/users`, portal: view.nav }, body);
}

function UserDetails({ user }: { user: UserView }) {
  return (
    <section class="card" aria-labelledby="user-details-title">
      <h2 id="user-details-title">Details</h2>
      <Details
        rows={[
          ["User id", <code>{user.id}</code>],
          ["Email", user.email],
          ["Role", user.role],
          ["Kind", user.kind === "bot" ? "Bot" : "Person"],
          ["Permissions", <Tags items={user.permissions} />],
          ["Added", <When at={user.created_at} />],
        ]}
      />
    </section>
  );
}

export function registerUsers(router: DashboardRouter): void {
  portalRoute(router, "GET", "/users", async (c) => {
    const view = await portalOf(c);
    if (!view) return toPartnerList(c);
    return renderUsers(c, view, { added: c.req.query("done") === "added" });
  });

  portalRoute(router, "POST", "/users", async (c) => {
    const view = await portalOf(c);
    if (!view) return toPartnerList(c);
    const f = await formOf(c);
    const form: UserForm = {
      first_name: f.one("first_name"),
      last_name: f.one("last_name"),
      email: f.one("email"),
      role: f.one("role"),
      kind: f.one("kind") || "user",
      permissions: f.all("permissions"),
    };
    const answer = await view.api.post(`/v1/partners/${view.portal.partnerId}/users`, form);
    if (answer.ok) return c.redirect(`${view.portal.base}/users?done=added`, 303);
    // Refused: the form again with the API's words, as a 200 page (key-actions.tsx, `refused`).
    if (![400, 403, 409].includes(answer.status)) throw pageErrorOf(answer.problem);
    return renderUsers(c, view, { form, problem: answer.problem });
  });

  portalRoute(router, "GET", "/users/:user_id", async (c) => {
    const view = await portalOf(c);
    if (!view) return toPartnerList(c);
    const user = expectOk(await view.api.get<UserView>(`/v1/users/${encodeURIComponent(c.req.param("user_id") ?? "")}`));
    if (user.partner_id !== view.portal.partnerId) throw pageNotFound();
    const body = (
      <>
        <p class="crumbs">
          <a href={`${view.portal.base}/users`}>Users</a> <span aria-hidden="true">/</span> {user.name}
        </p>
        <div class="page-head">
          <h1>
            {user.name} <Badge status={user.status ?? "active"} />
          </h1>
        </div>
        {c.req.query("done") ? <Notice kind="success">{`${user.name} is ${user.status ?? "active"} now.`}</Notice> : null}
        <UserDetails user={user} />
        <UserAccess user={user} action={`${view.portal.base}/users/${user.id}/status`} />
      </>
    );
    return renderPage(c, { title: user.name, active: `${view.portal.base}/users`, portal: view.nav }, body);
  });

  // PATCH /v1/users/{user_id} {status} through the API: its authority rules (§3a) and audit apply.
  portalRoute(router, "POST", "/users/:user_id/status", async (c) => {
    const view = await portalOf(c);
    if (!view) return toPartnerList(c);
    const userId = encodeURIComponent(c.req.param("user_id") ?? "");
    // The user must be this portal's partner's, also for the operator (who could reach any).
    if (expectOk(await view.api.get<UserView>(`/v1/users/${userId}`)).partner_id !== view.portal.partnerId) throw pageNotFound();
    const status = (await formOf(c)).one("status");
    expectOk(await view.api.patch(`/v1/users/${userId}`, { status }));
    return c.redirect(`${view.portal.base}/users/${userId}?done=status`, 303);
  });
}

/** Deactivating a user refuses its keys, tokens, sessions and passkeys on their next request; reactivating restores them. */
function UserAccess({ user, action }: { user: UserView; action: string }) {
  const active = (user.status ?? "active") === "active";
  return (
    <section class="card" aria-labelledby="user-access-title">
      <h2 id="user-access-title">Access</h2>
      <p class="muted">
        {active
          ? "Deactivating this user refuses its keys, access tokens, dashboard sessions and passkeys from their next request. Nothing is revoked: reactivating restores them."
          : "This user is deactivated: its keys, access tokens, sessions and passkeys are refused."}
      </p>
      <form method="post" action={action}>
        <input type="hidden" name="status" value={active ? "deactivated" : "active"} />
        <button type="submit" class={active ? "button danger" : "button"}>
          {active ? "Deactivate user" : "Reactivate user"}
        </button>
      </form>
    </section>
  );
}
