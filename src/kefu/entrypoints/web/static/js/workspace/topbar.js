// The bar on top: who is signed in, the live state told truthfully, presence, help, language, sign-out.

import { lang, t } from "../i18n.js";
import { html } from "../ui.js";

const PRESENCES = ["available", "away", "offline"];

export function LiveBadge({ live, online }) {
  // Offline (the browser says so) beats a stream that has not noticed yet; "connecting" until it opens.
  const state = !online ? "offline" : live === true ? "on" : live === false ? "off" : "connecting";
  const text = { offline: t("live.offline"), on: t("live.on"), off: t("live.off"), connecting: t("live.connecting") };
  return html`<span id="live" class=${`live${state === "on" ? " on" : ""}`} role="status" data-state=${state}>${text[state]}</span>`;
}

const REASONS = ["meal", "training", "meeting"];

function AwayReason({ agent, onChange, busy }) {
  const reason = agent?.presence_reason ?? "";
  if (reason === "missed") return html`<span id="away-reason" class="badge alert">${t("away.missed")}</span>`;
  return html`
    <label class="away-reason"><span class="sr-only">${t("away.label")}</span>
      <select id="away-reason" aria-label=${t("away.label")} value=${reason} disabled=${busy}
        onChange=${(e) => onChange("away", e.currentTarget.value || null)}>
        <option value="">${t("away.none")}</option>
        ${REASONS.map((r) => html`<option value=${r}>${t(`away.${r}`)}</option>`)}
      </select></label>`;
}

export function Presence({ agent, onChange, busy }) {
  const current = agent?.presence ?? "offline";
  function key(event) {
    // A radio group: arrow keys move the choice, as screen-reader users expect.
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    if (!step) return;
    event.preventDefault();
    const at = PRESENCES.indexOf(current);
    const next = PRESENCES[(at + step + PRESENCES.length) % PRESENCES.length];
    onChange(next).then(() => document.querySelector(`[data-presence="${next}"]`)?.focus());
  }
  return html`
    <div id="presence" class="presence" role="radiogroup" aria-labelledby="presence-label" onKeyDown=${key}>
      <span id="presence-label" class="presence-label">${t("presence.label")}</span>
      ${PRESENCES.map((p) => html`
        <button type="button" role="radio" data-presence=${p} aria-checked=${String(current === p)}
          tabIndex=${current === p ? 0 : -1} disabled=${busy} onClick=${() => onChange(p)}>${t(`presence.${p}`)}</button>`)}
    </div>
    ${current === "away" && html`<${AwayReason} agent=${agent} onChange=${onChange} busy=${busy} />`}`;
}

export function TopBar({ me, agent, live, online, onPresence, presenceBusy, onHelp, onLang, onLogout }) {
  return html`
    <header class="bar">
      <h1 class="brand"><span aria-hidden="true">客</span> <span>${t("app.title")}</span></h1>
      <nav class="bar-tools" aria-label="kefu">
        ${me && html`<${LiveBadge} live=${live} online=${online} />`}
        ${me?.agent_id && html`<${Presence} agent=${agent} onChange=${onPresence} busy=${presenceBusy} />`}
        ${me && ["supervisor", "admin"].includes(me.role) &&
          html`<a id="to-wallboard" class="link" href="/wallboard">${t("app.wallboard")}</a>`}
        ${me && html`<span id="who" class="who">${me.username}</span>`}
        ${me && html`<button type="button" id="help-open" class="ghost" aria-label=${t("help.open")}
          title=${t("help.open")} aria-keyshortcuts="?" onClick=${onHelp}>?</button>`}
        <button type="button" id="lang" class="ghost" aria-label=${t("lang.switch_label")}
          title=${t("lang.switch_label")} aria-keyshortcuts="l" lang=${lang() === "zh" ? "en" : "zh-CN"}
          onClick=${onLang}>${t("lang.switch")}</button>
        ${me && html`<button type="button" id="logout" class="ghost" onClick=${onLogout}>${t("logout")}</button>`}
      </nav>
    </header>`;
}
