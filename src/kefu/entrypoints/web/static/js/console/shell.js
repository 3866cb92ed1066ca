// The console's frame, shared by the wallboard, admin and audit pages: the top bar with its links, the
// language switch, and the session (who is signed in; a clear sign-in prompt when the session has ended).

import { api, ApiError, token } from "../api.js";
import { lang, setLang, t } from "../i18n.js";
import "../i18n/console.js";
import { html, useEffect, useState } from "../ui.js";

// Components that show text call useLang() and re-render when the language switches (button or "L").
const listeners = new Set();

export function switchLang() {
  setLang(lang() === "zh" ? "en" : "zh");
  for (const listener of listeners) listener(lang());
}

document.addEventListener("keydown", (event) => {
  const target = event.target;
  const typing = target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  if (event.key.toLowerCase() === "l" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) switchLang();
});

export function useLang() {
  const [current, set] = useState(lang());
  useEffect(() => {
    listeners.add(set);
    return () => listeners.delete(set);
  }, []);
  return current;
}

// "loading" | "signin" | "forbidden" | "ready"; me is /auth/me's answer.
export function useSession() {
  const [state, setState] = useState({ status: "loading", me: null });
  useEffect(() => {
    if (!token()) {
      setState({ status: "signin", me: null });
      return;
    }
    api("GET", "/api/v1/auth/me")
      .then((me) => setState({ status: "ready", me }))
      .catch((error) => {
        const status = error instanceof ApiError && error.status === 401 ? "signin" : "error";
        setState({ status, me: null, error });
      });
  }, []);
  return [state, setState];
}

const LINKS = [
  ["/", "nav.workspace", "workspace"],
  ["/wallboard", "nav.wallboard", "wallboard"],
  ["/reports", "nav.reports", "reports"],
  ["/admin", "nav.admin", "admin"],
  ["/admin#audit", "nav.audit", "audit"],
];

export function Bar({ title, page, me, live, children }) {
  useLang();
  return html`
    <header class="bar">
      <h1 class="brand"><span aria-hidden="true">客</span> <span>${title}</span></h1>
      <nav class="bar-tools" aria-label="kefu">
        ${live === undefined ? null : html`
          <span id="live" class=${`live${live ? " on" : ""}`} role="status">${t(live ? "live.on" : "live.off")}</span>`}
        ${children}
        ${LINKS.filter(([, , id]) => id !== page).map(([href, key, id]) => html`
          <a class="link" href=${href} data-nav=${id}>${t(key)}</a>`)}
        <span id="who" class="who">${me?.username ?? ""}</span>
        <button type="button" id="lang" class="ghost" aria-keyshortcuts="l" title=${t("lang.switch_label")}
          onClick=${switchLang}>${t("lang.switch")}</button>
      </nav>
    </header>`;
}

// The session ended (401): say so plainly and offer the way back; shown over whatever is on screen.
export function SignIn({ expired }) {
  return html`
    <div class="signin-wall" role="alertdialog" aria-modal="true" aria-labelledby="signin-text">
      <div class="signin-box">
        <p id="signin-text">${t(expired ? "session.expired" : "session.none")}</p>
        <a id="signin" class="button primary" href="/">${t(expired ? "session.signin" : "login.title")}</a>
      </div>
    </div>`;
}
