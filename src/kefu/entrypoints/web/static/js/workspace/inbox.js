// Inbox views beside the open work: recently resolved (the agent's own, newest first) and, for
// supervisors, everything waiting or in progress. Each opens as a tab; a view loads when chosen.

import { t } from "../i18n.js";
import { html, useEffect, useState } from "../ui.js";
import { call, problemText, stamp } from "./session.js";

const SHOWN = 20;

async function load(view) {
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

export function Inbox({ me, onOpen }) {
  const views = ["resolved", ...(["supervisor", "admin"].includes(me.role) ? ["all"] : [])];
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
      <div class="button-row" role="group" aria-label=${t("inbox.title")}>
        ${views.map((v) => html`<button type="button" aria-pressed=${String(view === v)}
          onClick=${() => setView(view === v ? null : v)}>${t(`inbox.${v}`)}</button>`)}
      </div>
      ${failed && html`<p class="load-failed" role="alert">${failed}</p>`}
      ${view && html`<ul id="inbox-list" class="list compact">
        ${items.map((c) => html`<li><button type="button" class="link-button"
          onClick=${() => onOpen({ kind: "conversation", id: c.id, title: c.subject || t("conv.subject_none") })}>
          ${stamp(c.resolved_at ?? c.updated_at)} · ${c.subject || t("conv.subject_none")}</button>
          ${" "}<span class="badge neutral">${t(`conv.status.${c.status}`)}</span></li>`)}
      </ul>
      ${!items.length && !failed && html`<p class="muted">${t("inbox.empty")}</p>`}`}
    </section>`;
}
