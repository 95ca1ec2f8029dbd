// Keyward dashboard: passkeys (WebAuthn). Loaded only by the sign-in page and the Passkeys page,
// from our own origin under script-src 'self'. The server renders the passkey controls `hidden`;
// this file shows them when the browser has WebAuthn, runs navigator.credentials.create()/get()
// with the options the server issued, and posts the result back as JSON. Everything it says goes
// to the aria-live region next to the control. Without JavaScript, the token still signs in.
"use strict";

(() => {
  const supported = () =>
    typeof window.PublicKeyCredential === "function" && Boolean(navigator.credentials) && typeof navigator.credentials.create === "function";

  // --- base64url <-> bytes ----------------------------------------------------------------------

  function toBytes(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    const binary = atob(base64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64Url(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  const descriptors = (list) => (list || []).map((d) => Object.assign({}, d, { id: toBytes(d.id) }));

  /** PublicKeyCredentialCreationOptionsJSON (as the server sends it) to what create() takes. */
  const creationOptions = (json) =>
    Object.assign({}, json, {
      challenge: toBytes(json.challenge),
      user: Object.assign({}, json.user, { id: toBytes(json.user.id) }),
      excludeCredentials: descriptors(json.excludeCredentials),
    });

  /** PublicKeyCredentialRequestOptionsJSON to what get() takes. */
  const requestOptions = (json) => Object.assign({}, json, { challenge: toBytes(json.challenge), allowCredentials: descriptors(json.allowCredentials) });

  /** A new credential as the server reads it (PublicKeyCredential.toJSON() where browsers have it). */
  function registrationJSON(credential) {
    const response = credential.response;
    const id = toBase64Url(credential.rawId);
    return {
      id,
      rawId: id,
      type: credential.type,
      response: {
        clientDataJSON: toBase64Url(response.clientDataJSON),
        attestationObject: toBase64Url(response.attestationObject),
        transports: typeof response.getTransports === "function" ? response.getTransports() : [],
      },
    };
  }

  function assertionJSON(credential) {
    const response = credential.response;
    const id = toBase64Url(credential.rawId);
    return {
      id,
      rawId: id,
      type: credential.type,
      response: {
        clientDataJSON: toBase64Url(response.clientDataJSON),
        authenticatorData: toBase64Url(response.authenticatorData),
        signature: toBase64Url(response.signature),
        userHandle: response.userHandle ? toBase64Url(response.userHandle) : null,
      },
    };
  }

  // --- talking to the dashboard -----------------------------------------------------------------

  /** POSTs JSON to the dashboard and returns its JSON; throws an Error whose message is for the person. */
  async function postJson(path, body) {
    let res;
    try {
      res = await fetch(path, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch {
      throw new Error("The dashboard could not be reached. Check your connection, then try again.");
    }
    let data = null;
    if ((res.headers.get("content-type") || "").includes("application/json")) data = await res.json().catch(() => null);
    if (res.ok && data) return data;
    if (data && typeof data.error === "string") throw new Error(data.error);
    if (res.status === 401) throw new Error("Your session has ended. Reload the page and sign in again.");
    if (res.status === 403) throw new Error("The dashboard refused this request. Reload the page and try again.");
    throw new Error("Something went wrong. Reload the page and try again.");
  }

  /** What a refused navigator.credentials call means, in words; null for an error the browser did not name. */
  function ceremonyMessage(err, registering) {
    switch (err && err.name) {
      case "NotAllowedError":
      case "AbortError":
        return "The passkey prompt was closed or timed out. Nothing was changed; try again when you are ready.";
      case "InvalidStateError":
        return registering
          ? "This device already holds a passkey for this token. Use it to sign in, or revoke it first."
          : "This device could not use its passkey. Try again, or sign in with your token.";
      case "SecurityError":
        return "Your browser refused passkeys at this address. Open the dashboard at localhost or at its https address.";
      case "NotSupportedError":
        return "This device offers no kind of passkey Keyward accepts. Try another device or security key.";
      default:
        return null;
    }
  }

  function say(region, text, isError) {
    if (!region) return;
    region.textContent = text;
    region.classList.toggle("is-error", Boolean(isError));
  }

  // --- sign-in page: "Sign in with a passkey" ----------------------------------------------------

  function setUpSignIn(box) {
    const button = box.querySelector("[data-passkey-sign-in-button]");
    const status = box.querySelector("[data-passkey-status]");
    if (!button) return;
    box.hidden = false;
    button.addEventListener("click", async () => {
      button.disabled = true;
      say(status, "Waiting for your passkey…");
      try {
        const issued = await postJson("/dashboard/sign-in/passkey/options", {});
        let credential;
        try {
          credential = await navigator.credentials.get({ publicKey: requestOptions(issued.options) });
        } catch (err) {
          throw new Error(ceremonyMessage(err, false) || "Your browser could not use a passkey. Sign in with your token instead.");
        }
        if (!credential) throw new Error("No passkey was chosen. Try again, or sign in with your token.");
        const next = document.querySelector('form[action="/dashboard/sign-in"] input[name="next"]');
        const result = await postJson("/dashboard/sign-in/passkey", {
          challengeId: issued.challengeId,
          credential: assertionJSON(credential),
          next: next ? next.value : "/dashboard",
        });
        say(status, "Signed in. Opening the dashboard…");
        window.location.assign(result.location || "/dashboard");
      } catch (err) {
        say(status, err.message, true);
        button.disabled = false;
      }
    });
  }

  // --- Passkeys page: "Add a passkey" ------------------------------------------------------------

  function setUpRegistration(form) {
    const button = form.querySelector('button[type="submit"]');
    const status = form.querySelector("[data-passkey-status]");
    const nameInput = form.querySelector('input[name="name"]');
    for (const note of document.querySelectorAll("[data-passkey-nojs]")) note.hidden = true;
    form.hidden = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      button.disabled = true;
      say(status, "Follow your browser's prompt to create the passkey…");
      try {
        const issued = await postJson("/dashboard/passkeys/options", {});
        let credential;
        try {
          credential = await navigator.credentials.create({ publicKey: creationOptions(issued.options) });
        } catch (err) {
          throw new Error(ceremonyMessage(err, true) || "Your browser could not create a passkey. Try again, or use another device.");
        }
        if (!credential) throw new Error("No passkey was created. Try again.");
        await postJson("/dashboard/passkeys", { challengeId: issued.challengeId, name: nameInput ? nameInput.value.trim() : "", credential: registrationJSON(credential) });
        say(status, "Passkey added.");
        window.location.assign("/dashboard/passkeys?done=added");
      } catch (err) {
        say(status, err.message, true);
        button.disabled = false;
      }
    });
  }

  function start() {
    const signIn = document.querySelector("[data-passkey-sign-in]");
    const register = document.querySelector("form[data-passkey-register]");
    if (!supported()) {
      for (const note of document.querySelectorAll("[data-passkey-nojs]")) note.textContent = "This browser cannot use passkeys. Your token keeps working.";
      return;
    }
    if (signIn) setUpSignIn(signIn);
    if (register) setUpRegistration(register);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
