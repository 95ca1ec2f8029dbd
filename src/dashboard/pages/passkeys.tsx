import { liveSecretHashes } from "../../auth/verify-key";
import { getPasskey, type Passkey } from "../../db/passkeys";
import { now as clockNow } from "../../lib/clock";
import { StorageError } from "../../lib/instrument";
import { secretBinding } from "../../oauth/access-token";
import { renderPage } from "../layout";
import {
  decidePasskeySignIn,
  localhostAlternative,
  PasskeyProblem,
  passkeysOfSession,
  passkeyStatus,
  registrationFinish,
  registrationStart,
  relyingParty,
  revokePasskey,
  signInStart,
} from "../passkeys";
import { sessionOf, type DashboardRouter } from "../portal";
import { endPresentedSession, openSession } from "../session";
import { pageNotFound, type DashboardContext, type SignedIn } from "../types";
import { Badge, ConfirmCard, DataTable, Empty, Notice, When } from "../ui";
import { NoPasskeysHere, PASSKEYS_JS } from "./passkey-sign-in";
import { safeNext } from "./sign-in";

const DONE: Record<string, string> = {
  added: "Passkey added. Use “Sign in with a passkey” next time you sign in.",
  revoked: "Passkey revoked. It can no longer sign in, and the sessions it opened have ended.",
};

type TokenSignedIn = Extract<SignedIn, { kind: "key" }>;

/** The passkey pages are for a partner user signed in with a token; the operator has no passkeys (404, as for anything not its own). */
function tokenSessionOf(c: DashboardContext): TokenSignedIn {
  const { signedIn } = sessionOf(c);
  if (signedIn.kind !== "key") throw pageNotFound();
  return signedIn;
}

function AddPasskey({ c, signedIn }: { c: DashboardContext; signedIn: TokenSignedIn }) {
  const token = signedIn.record.key;
  return (
    <section class="card" aria-labelledby="add-passkey-title">
      <h2 id="add-passkey-title">Add a passkey</h2>
      <p>
        A passkey signs you in with this device's screen lock, a phone or a security key instead of your token. It is bound to the token you
        signed in with, <strong>“{token.name}”</strong> (<code>{`${token.prefix}…${token.last_four}`}</code>): it opens the same portal with the
        same access, and it stops working when that token is revoked or expires, when the token is rotated (once the rotation's grace period
        ends), while your user is deactivated or your partner suspended, or when you revoke it below.
      </p>
      {relyingParty(c) ? (
        <>
          <p class="muted" data-passkey-nojs>
            Adding a passkey needs JavaScript, which runs your browser's passkey prompt. Your token keeps working without it.
          </p>
          <form class="stack" data-passkey-register hidden>
            <div class="field">
              <label for="passkey-name">Name</label>
              <input id="passkey-name" name="name" type="text" required maxlength={64} autocomplete="off" aria-describedby="passkey-name-hint" />
              <p class="hint" id="passkey-name-hint">
                So you can tell your passkeys apart: the device or security key that holds it, such as “Work laptop”.
              </p>
            </div>
            <button type="submit" class="button primary">
              Add a passkey
            </button>
            <p class="passkey-status" id="passkey-status" aria-live="polite" data-passkey-status></p>
          </form>
          <script src={PASSKEYS_JS} defer></script>
        </>
      ) : (
        <NoPasskeysHere alternative={localhostAlternative(c)} />
      )}
    </section>
  );
}

function PasskeyList({ passkeys, live }: { passkeys: Passkey[]; live: ReadonlySet<string> }) {
  if (passkeys.length === 0) {
    return (
      <Empty title="No passkeys yet.">
        <p class="muted">Add one above to sign in without pasting your token.</p>
      </Empty>
    );
  }
  return (
    <DataTable label="Passkeys" columns={["Name", "Added", "Last used", "Status", "Action"]}>
      {passkeys.map((p) => {
        const status = passkeyStatus(p, live);
        return (
          <tr>
            <td>{p.name}</td>
            <td>
              <When at={p.created_at} />
            </td>
            <td>
              <When at={p.last_used_at} />
            </td>
            <td>
              <Badge status={status} />
            </td>
            <td>
              {status === "revoked" ? null : (
                <a class="button danger small" href={`/dashboard/passkeys/${p.id}/revoke`} aria-label={`Revoke ${p.name}`}>
                  Revoke…
                </a>
              )}
            </td>
          </tr>
        );
      })}
    </DataTable>
  );
}

async function renderPasskeys(c: DashboardContext): Promise<Response> {
  const signedIn = tokenSessionOf(c);
  const passkeys = await passkeysOfSession(c, signedIn);
  const live = new Set(await Promise.all(liveSecretHashes(signedIn.record, clockNow()).map(secretBinding)));
  const done = DONE[c.req.query("done") ?? ""];
  const body = (
    <>
      <div class="page-head">
        <h1>Passkeys</h1>
        <p class="muted">Sign in with a passkey instead of your personal access token. Adding, and revoking, a passkey is recorded in the audit log.</p>
      </div>
      {done ? <Notice kind="success">{done}</Notice> : null}
      <AddPasskey c={c} signedIn={signedIn} />
      <section class="card" aria-labelledby="passkeys-title">
        <h2 id="passkeys-title">Your passkeys for this token</h2>
        <PasskeyList passkeys={passkeys} live={live} />
      </section>
    </>
  );
  return renderPage(c, { title: "Passkeys", active: "/dashboard/passkeys" }, body);
}

/** One of the signed-in user's passkeys for this session's token; anything else (another user's, another partner's, unknown) is 404. */
async function ownPasskey(c: DashboardContext): Promise<Passkey> {
  const signedIn = tokenSessionOf(c);
  const id = c.req.param("passkey_id") ?? "";
  const passkey = /^pk_[0-9A-Za-z]{1,64}$/.test(id) ? await getPasskey(c.env.DB, id) : null;
  if (!passkey || passkey.user_id !== signedIn.user.id || passkey.key_id !== signedIn.record.key.id) throw pageNotFound();
  return passkey;
}

function RevokeConfirm({ passkey, own }: { passkey: Passkey; own: boolean }) {
  return (
    <ConfirmCard title={`Revoke the passkey “${passkey.name}”?`} action={`/dashboard/passkeys/${passkey.id}/revoke`} label="Revoke passkey" cancelHref="/dashboard/passkeys">
      <p>It can no longer sign in, and every session it opened ends. This cannot be undone; you can add a new passkey at any time.</p>
      {own ? (
        <p>
          <strong>You signed in with this passkey:</strong> revoking it signs you out.
        </p>
      ) : null}
    </ConfirmCard>
  );
}

/** A JSON endpoint of the passkey script: refusals as `{ error }` with their status, in words a person understands. */
function jsonEndpoint(handler: (c: DashboardContext, body: unknown) => Promise<Response>) {
  return async (c: DashboardContext): Promise<Response> => {
    let body: unknown = null;
    try {
      body = await c.req.json();
    } catch {
      // Not JSON: each handler refuses what it cannot read, as it would a wrong shape.
    }
    try {
      return await handler(c, body);
    } catch (err) {
      if (err instanceof PasskeyProblem) {
        for (const [name, value] of Object.entries(err.headers)) c.header(name, value);
        return c.json({ error: err.error }, err.status);
      }
      if (err instanceof StorageError) {
        c.header("retry-after", "1");
        return c.json({ error: "A storage service did not answer. Nothing was changed; try again in a moment." }, 503);
      }
      console.error(JSON.stringify({ level: "error", msg: "dashboard: passkeys unhandled", request_id: c.get("requestId"), error: (err as Error)?.name }));
      return c.json({ error: "Something went wrong on our side. Try again; if it keeps happening, sign in with your token." }, 500);
    }
  };
}

export function registerPasskeys(router: DashboardRouter): void {
  router.get("/passkeys", renderPasskeys);

  router.get("/passkeys/:passkey_id/revoke", async (c) => {
    const passkey = await ownPasskey(c);
    if (passkey.revoked_at) return c.redirect("/dashboard/passkeys", 302);
    const own = tokenSessionOf(c).passkeyId === passkey.id;
    return renderPage(c, { title: `Revoke ${passkey.name}`, active: "/dashboard/passkeys" }, <RevokeConfirm passkey={passkey} own={own} />);
  });

  router.post("/passkeys/:passkey_id/revoke", async (c) => {
    const passkey = await ownPasskey(c);
    if (!passkey.revoked_at) await revokePasskey(c, passkey);
    return c.redirect("/dashboard/passkeys?done=revoked", 303);
  });

  router.post(
    "/passkeys/options",
    jsonEndpoint(async (c) => c.json(await registrationStart(c))),
  );

  router.post(
    "/passkeys",
    jsonEndpoint(async (c, body) => {
      await registrationFinish(c, body);
      return c.json({ ok: true }, 201);
    }),
  );

  router.post(
    "/sign-in/passkey/options",
    jsonEndpoint(async (c) => c.json(await signInStart(c))),
  );

  router.post(
    "/sign-in/passkey",
    jsonEndpoint(async (c, body) => {
      const opened = await decidePasskeySignIn(c, body);
      // As with a token: a sign-in over an existing session replaces it, whoever it belonged to.
      await endPresentedSession(c);
      await openSession(c, opened);
      const next = typeof body === "object" && body !== null ? (body as { next?: unknown }).next : undefined;
      return c.json({ ok: true, location: safeNext(typeof next === "string" ? next : null) });
    }),
  );
}
