// The supervisor's and admin's console at /admin: live actions (assign a waiting conversation, move it to
// another queue, change an agent's presence with a reason, approve or refuse a four-eyes release), queue
// alarm limits, users, and the audit log. Every action is an API call the server authorises and audits;
// a refused one shows the server's problem (with the offending field) where it was made.

import { api } from "../api.js";
import { connect } from "../stream.js";
import { duration, lang, money, t } from "../i18n.js";
import { html, render, useEffect, useState } from "../ui.js";
import { Bar, SignIn, useLang, useSession } from "./shell.js";
import { Staff } from "./staff.js";
import { Outcome, Work, problemText, useCall } from "./work.js";

const TABS = ["actions", "queues", "staff", "work", "users", "audit"];
const LIMITS = ["wait_warn_s", "wait_alarm_s", "sl_warn_pct", "sl_alarm_pct", "waiting_warn", "waiting_alarm", "available_warn", "available_alarm"];
const ROLES = ["agent", "supervisor", "admin", "integration"];

function localTime(iso) {
  const locale = lang() === "en" ? "en-GB" : "zh-CN";
  return new Date(iso).toLocaleString(locale, { timeZone: "Asia/Shanghai", hour12: false });
}

// == live actions ===============================================================================
function WaitingRow({ conv, agents, queues, queueName, siteName, reload }) {
  const [agent, setAgent] = useState(agents[0]?.id ?? "");
  const [queue, setQueue] = useState(queues.find((q) => q.id !== conv.queue)?.id ?? "");
  const [state, run] = useCall();
  const assign = () => run(() => api("POST", `/api/v1/conversations/${conv.id}/assign`, { agent_id: agent }), t("ad.assigned")).then(reload);
  const transfer = () => run(() => api("POST", `/api/v1/conversations/${conv.id}/transfer`, { to_queue: queue }), t("ad.transferred")).then(reload);
  return html`
    <tr data-conversation=${conv.id}>
      <th scope="row">${conv.subject ?? conv.id}</th>
      <td>${queueName(conv.queue)}</td>
      <td>${duration((Date.now() - Date.parse(conv.created_at)) / 1000)}</td>
      <td class="act">
        <select aria-label=${t("ad.assign_to")} class="assign-agent" value=${agent} onChange=${(e) => setAgent(e.target.value)}>
          ${agents.map((a) => html`<option value=${a.id}>${a.name} · ${siteName(a.site)}</option>`)}
        </select>
        <button type="button" class="primary assign" disabled=${state.busy || !agent} onClick=${assign}>${t("ad.assign")}</button>
      </td>
      <td class="act">
        <select aria-label=${t("ad.transfer_to")} class="transfer-queue" value=${queue} onChange=${(e) => setQueue(e.target.value)}>
          ${queues.filter((q) => q.id !== conv.queue).map((q) => html`<option value=${q.id}>${q.name}</option>`)}
        </select>
        <button type="button" class="secondary transfer" disabled=${state.busy || !queue} onClick=${transfer}>${t("ad.transfer")}</button>
        <${Outcome} state=${state} id=${conv.id} />
      </td>
    </tr>`;
}

// The break reasons the server accepts with "away" (agents.AWAY_REASONS).
const BREAK_REASONS = ["meal", "training", "meeting"];

function PresenceRow({ agent, siteName, reload }) {
  const [presence, setPresence] = useState(agent.presence === "available" ? "away" : "available");
  const [reason, setReason] = useState("");
  const [state, run] = useCall();
  const change = () => run(() => api("PUT", `/api/v1/agents/${agent.id}/presence`,
    presence === "away" && reason ? { presence, reason } : { presence }), t("ad.presence_set")).then(reload);
  return html`
    <tr data-agent=${agent.id}>
      <th scope="row">${agent.name}</th><td>${siteName(agent.site)}</td>
      <td class="presence-now">${t(`wb.state.${agent.presence}`)}</td>
      <td class="act">
        <select aria-label=${t("ad.presence")} class="presence" value=${presence} onChange=${(e) => setPresence(e.target.value)}>
          ${["available", "away", "offline"].map((p) => html`<option value=${p}>${t(`wb.state.${p}`)}</option>`)}
        </select>
        <select aria-label=${t("ad.reason")} class="reason" value=${reason} disabled=${presence !== "away"}
          onChange=${(e) => setReason(e.target.value)}>
          <option value="">${t("ad.reason")}</option>
          ${BREAK_REASONS.map((r) => html`<option value=${r}>${t(`wb.reason.${r}`)}</option>`)}
        </select>
        <button type="button" class="secondary set-presence" disabled=${state.busy} onClick=${change}>${t("ad.set")}</button>
        <${Outcome} state=${state} id=${agent.id} />
      </td>
    </tr>`;
}

function ApprovalRow({ kase, reload }) {
  const [note, setNote] = useState("");
  const [state, run] = useCall();
  const decide = (approve) => run(() => api("POST", `/api/v1/cases/${kase.id}/release-decision`,
    note.trim() ? { approve, note: note.trim() } : { approve }), t(approve ? "ad.approved" : "ad.refused")).then(reload);
  return html`
    <tr data-case=${kase.id}>
      <th scope="row">${kase.payee_name}</th>
      <td>${money(kase.amount, kase.currency)}</td>
      <td>${kase.release_requested_by ?? "—"}</td>
      <td>${kase.release_reason ?? "—"}</td>
      <td class="act">
        <input aria-label=${t("ad.note")} class="note" placeholder=${t("ad.note")} value=${note} onInput=${(e) => setNote(e.target.value)} />
        <button type="button" class="primary approve" disabled=${state.busy} onClick=${() => decide(true)}>${t("ad.approve")}</button>
        <button type="button" class="danger refuse" disabled=${state.busy} onClick=${() => decide(false)}>${t("ad.refuse")}</button>
        <${Outcome} state=${state} id=${kase.id} />
      </td>
    </tr>`;
}

function Actions() {
  const [data, setData] = useState(null);
  const [error, setError] = useState("");
  const load = () => Promise.all([
    api("GET", "/api/v1/conversations?status=queued&limit=200"),
    api("GET", "/api/v1/agents?limit=200"),
    api("GET", "/api/v1/queues"),
    api("GET", "/api/v1/cases?status=pending_approval&limit=200").catch(() => ({ items: [] })),
    api("GET", "/api/v1/sites"),
  ]).then(([waiting, agents, queues, approvals, sites]) => {
    const siteName = (id) => {
      const site = sites.find((x) => x.id === id);
      return site ? (lang() === "en" ? site.name : site.name_zh) : id;
    };
    setData({ waiting: waiting.items, agents: agents.items, queues, approvals: approvals.items, siteName });
    setError("");
  }).catch((e) => setError(problemText(e)));
  useEffect(() => {
    load();
    let pending = 0;
    // Refresh on the centre's events, a burst at a time.
    const stop = connect({
      onState: () => {},
      onEvent: () => {
        clearTimeout(pending);
        pending = setTimeout(load, 300);
      },
    });
    return () => { stop(); clearTimeout(pending); };
  }, []);
  if (error) return html`<p class="problem" role="alert">${error}</p>`;
  if (!data) return null;
  const queueName = (id) => data.queues.find((q) => q.id === id)?.name ?? id;
  return html`
    <section class="card" aria-labelledby="waiting-title">
      <h2 id="waiting-title">${t("ad.waiting")}</h2>
      ${data.waiting.length === 0 ? html`<p class="muted" id="no-waiting">${t("ad.no_waiting")}</p>` : html`
        <table class="data admin" id="waiting">
          <thead><tr><th scope="col">${t("ad.customer_subject")}</th><th scope="col">${t("ad.queue")}</th>
            <th scope="col">${t("ad.waited")}</th><th scope="col">${t("ad.assign_to")}</th><th scope="col">${t("ad.transfer_to")}</th></tr></thead>
          <tbody>${data.waiting.map((c) => html`<${WaitingRow} key=${c.id} conv=${c} agents=${data.agents}
            queues=${data.queues} queueName=${queueName} siteName=${data.siteName} reload=${load} />`)}</tbody>
        </table>`}
    </section>
    <section class="card" aria-labelledby="approvals-title">
      <h2 id="approvals-title">${t("ad.approvals")}</h2>
      ${data.approvals.length === 0 ? html`<p class="muted" id="no-approvals">${t("ad.no_approvals")}</p>` : html`
        <table class="data admin" id="approvals">
          <thead><tr><th scope="col">${t("wb.fraud")}</th><th scope="col">${t("ad.amount")}</th>
            <th scope="col">${t("ad.asked_by")}</th><th scope="col">${t("ad.release_reason")}</th><th scope="col"></th></tr></thead>
          <tbody>${data.approvals.map((k) => html`<${ApprovalRow} key=${k.id} kase=${k} reload=${load} />`)}</tbody>
        </table>`}
    </section>
    <section class="card" aria-labelledby="agents-title">
      <h2 id="agents-title">${t("ad.agents")}</h2>
      <table class="data admin" id="presence">
        <thead><tr><th scope="col">${t("wb.agent")}</th><th scope="col">${t("wb.site")}</th>
          <th scope="col">${t("ad.presence")}</th><th scope="col"></th></tr></thead>
        <tbody>${data.agents.map((a) => html`<${PresenceRow} key=${`${a.id}-${a.presence}`} agent=${a} siteName=${data.siteName} reload=${load} />`)}</tbody>
      </table>
    </section>`;
}

// == queues: alarm limits ========================================================================
function ThresholdForm({ queue, set }) {
  const [values, setValues] = useState(Object.fromEntries(LIMITS.map((k) => [k, set?.[k] ?? ""])));
  const [state, run] = useCall();
  const save = (event) => {
    event.preventDefault();
    const body = Object.fromEntries(LIMITS.filter((k) => values[k] !== "").map((k) => [k, Number(values[k])]));
    run(() => api("PUT", `/api/v1/queues/${queue.id}/thresholds`, body), t("ad.saved"));
  };
  return html`
    <form class="card thresholds-form" data-queue=${queue.id} onSubmit=${save}>
      <h3>${queue.name} <span class="muted">· ${t("wb.target_value", { p: `${queue.service_level.target_pct}%`, s: duration(queue.service_level.answer_within_s) })}</span></h3>
      <div class="fields">
        ${LIMITS.map((k) => html`<label>${t(`ad.field.${k}`)}
          <input type="number" step="any" name=${k} value=${values[k]} onInput=${(e) => setValues({ ...values, [k]: e.target.value })} />
        </label>`)}
      </div>
      <button type="submit" class="primary" disabled=${state.busy}>${t("ad.save")}</button>
      <${Outcome} state=${state} id=${queue.id} />
    </form>`;
}

function Queues() {
  const [data, setData] = useState(null);
  const [error, setError] = useState("");
  useEffect(() => {
    Promise.all([api("GET", "/api/v1/queues"), api("GET", "/api/v1/wallboard/thresholds")])
      .then(([queues, limits]) => setData({ queues, limits: Object.fromEntries(limits.map((l) => [l.queue_id, l])) }))
      .catch((e) => setError(problemText(e)));
  }, []);
  if (error) return html`<p class="problem" role="alert">${error}</p>`;
  if (!data) return null;
  return html`<section aria-labelledby="queues-title"><h2 id="queues-title">${t("ad.thresholds")}</h2>
    <div class="forms">${data.queues.map((q) => html`<${ThresholdForm} key=${q.id} queue=${q} set=${data.limits[q.id]} />`)}</div>
  </section>`;
}

// == users =======================================================================================
function Users() {
  const [users, setUsers] = useState(null);
  const [error, setError] = useState("");
  const [form, setForm] = useState({ username: "", password: "", role: "agent" });
  const [state, run] = useCall();
  const load = () => api("GET", "/api/v1/users?limit=200").then((p) => setUsers(p.items)).catch((e) => setError(problemText(e)));
  useEffect(() => { load(); }, []);
  const create = (event) => {
    event.preventDefault();
    run(() => api("POST", "/api/v1/users", form), t("ad.created")).then((made) => {
      if (made) { setForm({ username: "", password: "", role: "agent" }); load(); }
    });
  };
  const toggle = (user) => run(() => api("POST", `/api/v1/users/${encodeURIComponent(user.username)}/${user.active ? "disable" : "enable"}`)).then(load);
  if (error) return html`<p class="problem" role="alert">${error}</p>`;
  return html`
    <form class="card user-form" id="user-form" onSubmit=${create}>
      <h2>${t("ad.create_user")}</h2>
      <div class="fields">
        <label>${t("ad.username")}<input name="username" value=${form.username} onInput=${(e) => setForm({ ...form, username: e.target.value })} /></label>
        <label>${t("ad.password")}<input name="password" type="password" autocomplete="new-password" value=${form.password}
          onInput=${(e) => setForm({ ...form, password: e.target.value })} /></label>
        <label>${t("ad.role")}<select name="role" value=${form.role} onChange=${(e) => setForm({ ...form, role: e.target.value })}>
          ${ROLES.map((r) => html`<option value=${r}>${r}</option>`)}</select></label>
      </div>
      <button type="submit" class="primary" disabled=${state.busy}>${t("ad.create")}</button>
      <${Outcome} state=${state} id="user" />
    </form>
    <section class="card" aria-labelledby="users-title">
      <h2 id="users-title">${t("ad.users")}</h2>
      <table class="data admin" id="users">
        <thead><tr><th scope="col">${t("ad.username")}</th><th scope="col">${t("ad.role")}</th>
          <th scope="col">${t("ad.active")}</th><th scope="col"></th></tr></thead>
        <tbody>${(users ?? []).map((u) => html`<tr data-user=${u.username}>
          <th scope="row">${u.username}</th><td>${u.role}</td><td class="active">${t(u.active ? "ad.yes" : "ad.no")}</td>
          <td><button type="button" class=${u.active ? "danger" : "secondary"} onClick=${() => toggle(u)}>${t(u.active ? "ad.disable" : "ad.enable")}</button></td>
        </tr>`)}</tbody>
      </table>
    </section>`;
}

// == audit log ===================================================================================
const AUDIT_FILTERS = ["actor", "action", "subject_type", "subject_id"];

function Audit() {
  const [filters, setFilters] = useState({ actor: "", action: "", subject_type: "", subject_id: "", since: "", until: "" });
  const [pages, setPages] = useState({ items: [], next: null, loaded: false });
  const [error, setError] = useState("");
  const query = (cursor) => {
    const q = new URLSearchParams({ limit: "50" });
    for (const k of AUDIT_FILTERS) if (filters[k].trim()) q.set(k, filters[k].trim());
    // datetime-local in Beijing time, sent as an instant with its offset.
    if (filters.since) q.set("since", `${filters.since}:00+08:00`);
    if (filters.until) q.set("until", `${filters.until}:00+08:00`);
    if (cursor) q.set("cursor", cursor);
    return q;
  };
  const load = (cursor = null) => api("GET", `/api/v1/audit?${query(cursor)}`).then((page) => {
    setError("");
    setPages((prev) => ({ items: cursor ? [...prev.items, ...page.items] : page.items, next: page.next_cursor, loaded: true }));
  }).catch((e) => setError(problemText(e)));
  useEffect(() => { load(); }, []);
  return html`
    <form class="card audit-filters" id="audit-filters" onSubmit=${(e) => { e.preventDefault(); load(); }}>
      ${AUDIT_FILTERS.map((k) => html`<label>${t(`ad.${k}`)}<input name=${k} value=${filters[k]}
        onInput=${(e) => setFilters({ ...filters, [k]: e.target.value })} /></label>`)}
      <label>${t("ad.since")}<input type="datetime-local" name="since" value=${filters.since} onInput=${(e) => setFilters({ ...filters, since: e.target.value })} /></label>
      <label>${t("ad.until")}<input type="datetime-local" name="until" value=${filters.until} onInput=${(e) => setFilters({ ...filters, until: e.target.value })} /></label>
      <button type="submit" class="primary">${t("ad.filter")}</button>
    </form>
    ${error ? html`<p class="problem" role="alert">${error}</p>` : null}
    <section class="card" aria-labelledby="audit-title">
      <h2 id="audit-title">${t("ad.audit")}</h2>
      ${pages.loaded && pages.items.length === 0 ? html`<p class="muted" id="no-entries">${t("ad.no_entries")}</p>` : html`
        <div class="scroll"><table class="data admin" id="audit">
          <thead><tr><th scope="col">${t("ad.at")}</th><th scope="col">${t("ad.actor")}</th><th scope="col">${t("ad.action")}</th>
            <th scope="col">${t("ad.subject_type")}</th><th scope="col">${t("ad.subject_id")}</th><th scope="col">${t("ad.detail")}</th></tr></thead>
          <tbody>${pages.items.map((e) => html`<tr data-entry=${e.id} data-action=${e.action}>
            <td>${localTime(e.at)}</td><td class="actor">${e.actor}</td><td class="action">${e.action}</td>
            <td>${e.subject_type}</td><td class="subject">${e.subject_id}</td>
            <td class="detail"><code>${JSON.stringify(e.detail)}</code></td></tr>`)}</tbody>
        </table></div>`}
      ${pages.next ? html`<button type="button" id="audit-more" class="secondary" onClick=${() => load(pages.next)}>${t("ad.more")}</button>` : null}
    </section>`;
}

// == page ========================================================================================
function tabFromHash() {
  const name = location.hash.replace("#", "");
  return TABS.includes(name) ? name : "actions";
}

function Admin() {
  useLang();
  const [session] = useSession();
  const [tab, setTab] = useState(tabFromHash());
  useEffect(() => {
    const onHash = () => setTab(tabFromHash());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  const bar = html`<${Bar} title=${t("ad.title")} page="admin" me=${session.me} />`;
  if (session.status === "signin") return html`${bar}<main id="main" class="admin-page"><${SignIn} expired=${false} /></main>`;
  if (session.status !== "ready") return bar;
  if (!["supervisor", "admin"].includes(session.me.role)) {
    return html`${bar}<main id="main" class="admin-page"><p id="forbidden" class="center error">${t("ad.forbidden")}</p></main>`;
  }
  const Tab = { actions: Actions, queues: Queues, staff: Staff, work: Work, users: Users, audit: Audit }[tab];
  return html`${bar}
    <main id="main" class="admin-page" tabindex="-1">
      <nav class="tabs" aria-label=${t("ad.title")}>
        ${TABS.map((name) => html`<a href=${`#${name}`} data-tab=${name} aria-current=${tab === name ? "page" : null}
          class=${tab === name ? "tab current" : "tab"}>${t(`ad.tab.${name}`)}</a>`)}
      </nav>
      <${Tab} key=${tab} />
    </main>`;
}

render(html`<${Admin} />`, document.getElementById("app"));
