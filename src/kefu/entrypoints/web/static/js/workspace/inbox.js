// Inbox views beside the open work: waiting in my queues (read only: routing offers the work), recently
// resolved (the agent's own, newest first) and, for supervisors, everything waiting or in progress; and a
// search over the customers and conversations the user may read. Each result opens as a tab; a view loads
// when chosen.

import { t } from "../i18n.js";
import { html, useEffect, useState } from "../ui.js";
import { call, problemText, stamp } from "./session.js";

const SHOWN = 20;
const MAX_QUERY = 100;

async function load(view) {
  if (view === "waiting") return (await call("GET", "/api/v1/conversations/waiting")).items;
  if (view === "resolved") {
    // The list is oldest first: read the agent's resolved ones and keep the newest.
    const page = await call("GET", "/api/v1/conversations?status=resolved&limit=200");
    return page.items.slice(-SHOWN).reverse();
  }
  const [queued, assigned] = await Promise.all([
    call("GET", "/api/v1/conversations?status=queued&limit=200"),
    call("GET", "/api/v1/conversations?status=assigned&limit=200"),
  ]);
  return [...queued.items, ...assigned.items];
}

function minutes(seconds) {
  return Math.floor(seconds / 60);
}

function Waiting({ c, queueName }) {
  // Read only: the place in line and the wait, no button to take it.
  return html`<li class="waiting-item" data-id=${c.id}>
    <span class="badge neutral">${t("inbox.position", { n: c.position })}</span>
    ${" "}${c.subject || t("conv.subject_none")}
    <span class="muted"> · ${queueName(c.queue)} · ${t("inbox.waited", { m: minutes(c.waiting_s) })}</span></li>`;
}

function Search({ onOpen }) {
  const [q, setQ] = useState("");
  const [found, setFound] = useState(null);
  const [failed, setFailed] = useState(null);
  async function submit(event) {
    event.preventDefault();
    const text = q.trim();
    if (!text) return;
    try {
      setFound(await call("GET", `/api/v1/search/work?q=${encodeURIComponent(text)}&limit=${SHOWN}`));
      setFailed(null);
    } catch (error) {
      setFound(null);
      setFailed(problemText(error));
    }
  }
  const none = found && !found.customers.length && !found.conversations.length;
  return html`
    <form class="inbox-search" role="search" onSubmit=${submit}>
      <label for="inbox-search">${t("inbox.search")}</label>
      <input id="inbox-search" type="search" maxlength=${MAX_QUERY} value=${q}
        placeholder=${t("inbox.search_hint")} onInput=${(e) => setQ(e.currentTarget.value)} />
      <button type="submit">${t("inbox.search_go")}</button>
    </form>
    ${failed && html`<p class="load-failed" role="alert">${failed}</p>`}
    ${found && html`<ul id="search-results" class="list compact" aria-label=${t("inbox.search_results")}>
      ${found.customers.map((c) => html`<li><button type="button" class="link-button"
        onClick=${() => onOpen({ kind: "customer", id: c.id, title: c.name })}>
        ${stamp(c.created_at)} · ${c.name}</button>
        ${" "}<span class="badge neutral">${t("kind.customer")}</span>
        <span class="muted"> ${c.external_id}${c.phone ? ` · ${c.phone}` : ""}</span></li>`)}
      ${found.conversations.map((c) => html`<li><button type="button" class="link-button"
        onClick=${() => onOpen({ kind: "conversation", id: c.id, title: c.subject || t("conv.subject_none") })}>
        ${stamp(c.created_at)} · ${c.subject || t("conv.subject_none")}</button>
        ${" "}<span class="badge neutral">${t(`conv.status.${c.status}`)}</span></li>`)}
    </ul>`}
    ${none && html`<p class="muted">${t("inbox.search_none")}</p>`}`;
}

export function Inbox({ me, onOpen, queueName = (id) => id }) {
  const views = ["waiting", "resolved", ...(["supervisor", "admin"].includes(me.role) ? ["all"] : [])];
  const [view, setView] = useState(null);
  const [items, setItems] = useState([]);
  const [failed, setFailed] = useState(null);
  useEffect(() => {
    if (!view) return undefined;
    let live = true;
    load(view)
      .then((found) => { if (live) { setItems(found); setFailed(null); } })
      .catch((error) => { if (live) setFailed(problemText(error)); });
    return () => { live = false; };
  }, [view]);
  return html`
    <section class="card inbox" aria-labelledby="inbox-title">
      <h2 id="inbox-title">${t("inbox.title")}</h2>
      <${Search} onOpen=${onOpen} />
      <div class="button-row" role="group" aria-label=${t("inbox.title")}>
        ${views.map((v) => html`<button type="button" aria-pressed=${String(view === v)}
          onClick=${() => setView(view === v ? null : v)}>${t(`inbox.${v}`)}</button>`)}
      </div>
      ${failed && html`<p class="load-failed" role="alert">${failed}</p>`}
      ${view && html`<ul id="inbox-list" class="list compact">
        ${view === "waiting" ? items.map((c) => html`<${Waiting} c=${c} queueName=${queueName} />`)
          : items.map((c) => html`<li><button type="button" class="link-button"
          onClick=${() => onOpen({ kind: "conversation", id: c.id, title: c.subject || t("conv.subject_none") })}>
          ${stamp(c.resolved_at ?? c.updated_at)} · ${c.subject || t("conv.subject_none")}</button>
          ${" "}<span class="badge neutral">${t(`conv.status.${c.status}`)}</span></li>`)}
      </ul>
      ${!items.length && !failed && html`<p class="muted">${t("inbox.empty")}</p>`}`}
    </section>`;
}
