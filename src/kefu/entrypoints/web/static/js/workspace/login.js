// Sign-in, and sign-in again when the session expired (the drafts stay in sessionStorage meanwhile).

import { ApiError, signIn } from "../api.js";
import { t } from "../i18n.js";
import { html, useEffect, useRef, useState } from "../ui.js";

export function Login({ expired, onSignedIn }) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const user = useRef(null);
  useEffect(() => user.current?.focus(), []);

  async function submit(event) {
    event.preventDefault();
    const form = event.currentTarget;
    setError("");
    setBusy(true);
    try {
      await signIn(form.username.value.trim(), form.password.value);
      form.password.value = "";
      await onSignedIn();
    } catch (failure) {
      setError(failure instanceof ApiError && failure.status < 500 ? t("login.failed") : t("error.network"));
    } finally {
      setBusy(false);
    }
  }

  return html`
    <section id="login" class="login" aria-labelledby="login-title">
      <form id="login-form" class="card login-card" novalidate onSubmit=${submit}>
        <h2 id="login-title">${t("login.title")}</h2>
        ${expired && html`<p id="session-expired" class="expired" role="alert">
          ${t("session.expired")}<br /><span class="muted">${t("session.drafts_kept")}</span></p>`}
        <label for="username">${t("login.username")}</label>
        <input id="username" name="username" autocomplete="username" required ref=${user} />
        <label for="password">${t("login.password")}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <p id="login-error" class="error" role="alert">${error}</p>
        <button type="submit" class="primary" disabled=${busy}>${busy ? t("login.busy") : t("login.submit")}</button>
      </form>
    </section>`;
}
