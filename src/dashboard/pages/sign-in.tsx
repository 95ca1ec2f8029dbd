import type { ContentfulStatusCode } from "hono/utils/http-status";
import { renderPage } from "../layout";
import { formOf, type DashboardRouter } from "../portal";
import { endPresentedSession, openSession, signOut } from "../session";
import { decideSignIn } from "../sign-in";
import type { DashboardContext } from "../types";
import { Notice } from "../ui";
import { PasskeySignIn } from "./passkey-sign-in";

/** Where to go after signing in: a dashboard path only, never another site (`//evil`, `/\evil`). */
export function safeNext(next: string | undefined | null): string {
  if (!next || !/^\/dashboard(\/[A-Za-z0-9_\-./?=&%]*)?$/.test(next) || next.includes("//") || next.includes("/..")) return "/dashboard";
  return next;
}

interface SignInProps {
  /** The request, for the passkey button (pages/passkey-sign-in.tsx): whether passkeys can work at this address. */
  c: DashboardContext;
  error?: string | null;
  ended?: boolean;
  next: string;
}

function SignInForm({ c, error, ended, next }: SignInProps) {
  return (
    <section class="card narrow sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in to Keyward</h1>
      <p class="muted">
        Operators sign in with the operator token (<code>ADMIN_TOKEN</code>). Partner users sign in with a personal access token (
        <code>kw_pat_…</code>) that belongs to them.
      </p>
      {ended && !error ? <Notice kind="info">Your session has ended. Sign in again to continue.</Notice> : null}
      {error ? <Notice kind="error">{error}</Notice> : null}
      <form method="post" action="/dashboard/sign-in" class="stack">
        <input type="hidden" name="next" value={next} />
        <div class="field">
          <label for="token">Token</label>
          <input
            id="token"
            name="token"
            type="password"
            autocomplete="off"
            spellcheck={false}
            required
            autofocus
            aria-describedby={error ? "token-hint token-error" : "token-hint"}
          />
          <p class="hint" id="token-hint">
            The token is checked by the API's own rules and never stored; a session lasts at most 12 hours.
          </p>
          {error ? (
            <p class="visually-hidden" id="token-error">
              {error}
            </p>
          ) : null}
        </div>
        <button type="submit" class="button primary">
          Sign in
        </button>
      </form>
      <PasskeySignIn c={c} />
    </section>
  );
}

/** The sign-in page: what every signed-out dashboard request gets (DESIGN §6, contract). */
export function renderSignIn(c: DashboardContext, props: Partial<Omit<SignInProps, "c">> & { status?: ContentfulStatusCode } = {}): Promise<Response> {
  const next = props.next ?? (c.req.method === "GET" ? safeNext(c.req.path + (new URL(c.req.url).search || "")) : "/dashboard");
  return renderPage(
    c,
    { title: "Sign in", status: props.status ?? 200 },
    <SignInForm c={c} error={props.error ?? null} ended={props.ended ?? c.get("sessionRefused") ?? false} next={next} />,
  );
}

export function registerSignIn(router: DashboardRouter): void {
  router.post("/sign-in", async (c) => {
    const form = await formOf(c);
    const next = safeNext(form.one("next"));
    const decided = await decideSignIn(c, form.one("token"));
    if ("message" in decided) {
      if (decided.retryAfter) c.header("Retry-After", String(decided.retryAfter));
      return renderSignIn(c, { status: decided.status, error: decided.message, next, ended: false });
    }
    // A sign-in over an existing session replaces it: the old one ends, whoever it belonged to.
    await endPresentedSession(c);
    await openSession(c, decided);
    return c.redirect(next, 303);
  });

  router.post("/sign-out", async (c) => {
    await signOut(c);
    return c.redirect("/dashboard", 303);
  });
}
