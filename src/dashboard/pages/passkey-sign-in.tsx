import { localhostAlternative, NEEDS_A_DOMAIN, relyingParty } from "../passkeys";
import type { DashboardContext } from "../types";

/** The passkey ceremonies' script (public/dashboard/static/passkeys.js): loaded only by the pages that use it. */
export const PASSKEYS_JS = "/dashboard/static/passkeys.js";

/** Where passkeys cannot work here (127.0.0.1, plain http on a domain): why, and the localhost address if there is one. */
export function NoPasskeysHere({ alternative }: { alternative: string | null }) {
  return (
    <p class="hint" data-testid="passkeys-unavailable">
      {NEEDS_A_DOMAIN}{" "}
      {alternative ? (
        <>
          Open <a href={alternative}>{alternative}</a> to use one.
        </>
      ) : null}
    </p>
  );
}

/**
 * The sign-in page's passkey button (DESIGN §6, contract: `Sign in with a passkey`). It needs
 * JavaScript, so it is `hidden` until passkeys.js finds WebAuthn in the browser and shows it;
 * without it only the token form shows. Where browsers refuse passkeys (an IP address), the page
 * says so instead, and names the localhost address that works.
 */
export function PasskeySignIn({ c }: { c: DashboardContext }) {
  if (!relyingParty(c)) {
    return (
      <div class="passkey-sign-in">
        <NoPasskeysHere alternative={localhostAlternative(c)} />
      </div>
    );
  }
  return (
    <div class="passkey-sign-in stack" data-passkey-sign-in hidden>
      <p class="or">
        <span>or</span>
      </p>
      <button type="button" class="button secondary" data-passkey-sign-in-button>
        Sign in with a passkey
      </button>
      <p class="passkey-status" id="passkey-status" aria-live="polite" data-passkey-status></p>
      <script src={PASSKEYS_JS} defer></script>
    </div>
  );
}
