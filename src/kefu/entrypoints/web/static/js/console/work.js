// The admin console's "work" tab: complaints through their lifecycle (open → investigating → upheld or
// rejected), the payee watchlist (add, remove with a reason), callbacks (cancel with a reason), and
// knowledge-base articles in Chinese and English with a preview of what self-service would answer.

import { api, ApiError } from "../api.js";
import { lang, t } from "../i18n.js";
import { html, useEffect, useState } from "../ui.js";

export function problemText(error) {
  if (!(error instanceof ApiError)) return error?.message ?? String(error);
  const p = error.problem ?? {};
  const fields = (p.errors ?? []).map((e) => `${e.field ?? (e.loc ?? []).join(".")}: ${e.message ?? e.msg ?? ""}`);
  const head = p.detail ?? p.title ?? error.message;
  return [p.field ? `${head} (${p.field})` : head, ...fields].join(" · ");
}

export function useCall() {
  const [state, setState] = useState({ busy: false, error: "", done: "" });
  const run = async (fn, done = "") => {
    setState({ busy: true, error: "", done: "" });
    try {
      const out = await fn();
      setState({ busy: false, error: "", done });
      return out;
    } catch (error) {
      setState({ busy: false, error: problemText(error), done: "" });
      return undefined;
    }
  };
  return [state, run];
}

export function Outcome({ state, id }) {
  if (state.error) return html`<p class="problem" role="alert" data-outcome=${id}>${state.error}</p>`;
  if (state.done) return html`<p class="done" role="status" data-outcome=${id}>${state.done}</p>`;
  return null;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString(lang() === "en" ? "en-GB" : "zh-CN", { timeZone: "Asia/Shanghai", hour12: false }) : "—";
}

const CATEGORIES = ["attitude", "wrong_information", "slow_service", "unresolved", "privacy", "other"];
const NEXT = { open: ["investigate"], investigating: ["uphold", "reject"] };

function ComplaintRow({ complaint, reload }) {
  const [note, setNote] = useState("");
  const [state, run] = useCall();
  const step = (action) => run(() => api("POST", `/api/v1/complaints/${complaint.id}/${action}`, note.trim() ? { note: note.trim() } : {})).then(reload);
  const actions = NEXT[complaint.status] ?? [];
  return html`<tr data-complaint=${complaint.id} data-status=${complaint.status}>
    <th scope="row">${t(`ad.category.${complaint.category}`)}</th><td class="text">${complaint.text}</td>
    <td class="status">${t(`ad.complaint.${complaint.status}`)}</td><td>${when(complaint.created_at)}</td>
    <td class="act">${actions.length ? html`
      <input aria-label=${t("ad.note")} class="note" placeholder=${t("ad.note")} value=${note} onInput=${(e) => setNote(e.target.value)} />
      ${actions.map((a) => html`<button type="button" class=${`secondary ${a}`} disabled=${state.busy} onClick=${() => step(a)}>${t(`ad.${a}`)}</button>`)}` : null}
      <${Outcome} state=${state} id=${complaint.id} /></td>
  </tr>`;
}

function Complaints() {
  const [items, setItems] = useState([]);
  const [form, setForm] = useState({ customer_id: "", category: "attitude", text: "" });
  const [state, run] = useCall();
  const load = () => api("GET", "/api/v1/complaints?limit=200").then((p) => setItems(p.items)).catch(() => {});
  useEffect(() => { load(); }, []);
  const create = (event) => {
    event.preventDefault();
    run(() => api("POST", "/api/v1/complaints", form), t("ad.created")).then((made) => { if (made) load(); });
  };
  return html`<section class="card" aria-labelledby="complaints-title">
    <h2 id="complaints-title">${t("ad.complaints")}</h2>
    <form id="complaint-form" class="fields-row" onSubmit=${create}>
      <label>${t("ad.customer_id")}<input name="customer_id" value=${form.customer_id}
        onInput=${(e) => setForm({ ...form, customer_id: e.target.value })} /></label>
      <label>${t("ad.category")}<select name="category" value=${form.category} onChange=${(e) => setForm({ ...form, category: e.target.value })}>
        ${CATEGORIES.map((c) => html`<option value=${c}>${t(`ad.category.${c}`)}</option>`)}</select></label>
      <label>${t("ad.text")}<input name="text" value=${form.text} onInput=${(e) => setForm({ ...form, text: e.target.value })} /></label>
      <button type="submit" class="primary" disabled=${state.busy}>${t("ad.new_complaint")}</button>
    </form>
    <${Outcome} state=${state} id="complaint" />
    ${items.length === 0 ? html`<p class="muted">${t("ad.none_yet")}</p>` : html`<table class="data admin" id="complaints">
      <thead><tr><th scope="col">${t("ad.category")}</th><th scope="col">${t("ad.text")}</th><th scope="col">${t("ad.status")}</th>
        <th scope="col">${t("ad.at")}</th><th scope="col"></th></tr></thead>
      <tbody>${items.map((c) => html`<${ComplaintRow} key=${`${c.id}-${c.status}`} complaint=${c} reload=${load} />`)}</tbody>
    </table>`}
  </section>`;
}

function WatchRow({ entry, reload }) {
  const [reason, setReason] = useState("");
  const [state, run] = useCall();
  const remove = () => run(() => api("DELETE", `/api/v1/watchlist/${encodeURIComponent(entry.account_id)}?${new URLSearchParams({ reason })}`)).then(reload);
  return html`<tr data-account=${entry.account_id}>
    <th scope="row">${entry.account_id}</th><td>${entry.reason}</td><td>${entry.source}</td><td>${entry.added_by ?? "—"}</td>
    <td class="act"><input aria-label=${t("ad.reason")} class="reason" placeholder=${t("ad.reason")} value=${reason} onInput=${(e) => setReason(e.target.value)} />
      <button type="button" class="danger remove" disabled=${state.busy} onClick=${remove}>${t("ad.remove")}</button>
      <${Outcome} state=${state} id=${entry.account_id} /></td>
  </tr>`;
}

function Watchlist() {
  const [items, setItems] = useState([]);
  const [form, setForm] = useState({ account_id: "", reason: "" });
  const [state, run] = useCall();
  const load = () => api("GET", "/api/v1/watchlist?limit=200").then((p) => setItems(p.items)).catch(() => {});
  useEffect(() => { load(); }, []);
  const add = (event) => {
    event.preventDefault();
    run(() => api("POST", "/api/v1/watchlist", form), t("ad.saved")).then((made) => { if (made) load(); });
  };
  return html`<section class="card" aria-labelledby="watchlist-title">
    <h2 id="watchlist-title">${t("ad.watchlist")}</h2>
    <form id="watchlist-form" class="fields-row" onSubmit=${add}>
      <label>${t("ad.account")}<input name="account_id" value=${form.account_id} onInput=${(e) => setForm({ ...form, account_id: e.target.value })} /></label>
      <label>${t("ad.reason")}<input name="reason" value=${form.reason} onInput=${(e) => setForm({ ...form, reason: e.target.value })} /></label>
      <button type="submit" class="primary" disabled=${state.busy}>${t("ad.add")}</button>
    </form>
    <${Outcome} state=${state} id="watchlist" />
    <table class="data admin" id="watchlist">
      <thead><tr><th scope="col">${t("ad.account")}</th><th scope="col">${t("ad.reason")}</th><th scope="col">${t("ad.source")}</th>
        <th scope="col">${t("ad.actor")}</th><th scope="col"></th></tr></thead>
      <tbody>${items.map((w) => html`<${WatchRow} key=${w.account_id} entry=${w} reload=${load} />`)}</tbody>
    </table>
  </section>`;
}

function CallbackRow({ callback, reload }) {
  const [reason, setReason] = useState("");
  const [state, run] = useCall();
  const cancel = () => run(() => api("POST", `/api/v1/callbacks/${callback.id}/cancel`, reason.trim() ? { reason: reason.trim() } : {})).then(reload);
  const open = !["done", "cancelled", "failed", "completed", "expired"].includes(callback.status);
  return html`<tr data-callback=${callback.id} data-status=${callback.status}>
    <th scope="row">${callback.reason}</th><td class="status">${callback.status}</td>
    <td>${when(callback.window_start)} – ${when(callback.window_end)}</td><td>${when(callback.next_attempt_at)}</td>
    <td class="act">${open ? html`<input aria-label=${t("ad.reason")} class="reason" placeholder=${t("ad.reason")} value=${reason}
        onInput=${(e) => setReason(e.target.value)} />
      <button type="button" class="danger cancel" disabled=${state.busy} onClick=${cancel}>${t("ad.cancel")}</button>` : null}
      <${Outcome} state=${state} id=${callback.id} /></td>
  </tr>`;
}

function Callbacks() {
  const [items, setItems] = useState([]);
  const load = () => api("GET", "/api/v1/callbacks?limit=200").then((p) => setItems(p.items)).catch(() => {});
  useEffect(() => { load(); }, []);
  return html`<section class="card" aria-labelledby="callbacks-title">
    <h2 id="callbacks-title">${t("ad.callbacks")}</h2>
    ${items.length === 0 ? html`<p class="muted">${t("ad.none_yet")}</p>` : html`<table class="data admin" id="callbacks">
      <thead><tr><th scope="col">${t("ad.reason")}</th><th scope="col">${t("ad.status")}</th><th scope="col">${t("ad.window")}</th>
        <th scope="col">${t("ad.at")}</th><th scope="col"></th></tr></thead>
      <tbody>${items.map((c) => html`<${CallbackRow} key=${`${c.id}-${c.status}`} callback=${c} reload=${load} />`)}</tbody>
    </table>`}
  </section>`;
}

function Knowledge() {
  const [items, setItems] = useState([]);
  const [form, setForm] = useState({ id: "", title: "", body: "", language: "zh" });
  const [question, setQuestion] = useState("");
  const [preview, setPreview] = useState(null);
  const [state, run] = useCall();
  const [asked, ask] = useCall();
  const load = () => api("GET", "/api/v1/kb/articles?limit=200").then((p) => setItems(p.items)).catch(() => {});
  useEffect(() => { load(); }, []);
  const save = (event) => {
    event.preventDefault();
    run(() => api("POST", "/api/v1/kb/articles", form), t("ad.saved")).then((made) => { if (made) load(); });
  };
  // What self-service would answer: the first hit, if the search is confident enough.
  const test = (event) => {
    event.preventDefault();
    ask(() => api("GET", `/api/v1/kb/search?${new URLSearchParams({ q: question, lang: form.language })}`)).then((r) => r && setPreview(r));
  };
  return html`<section class="card" aria-labelledby="kb-title">
    <h2 id="kb-title">${t("ad.kb")}</h2>
    <form id="kb-form" class="fields-row" onSubmit=${save}>
      <label>ID<input name="id" value=${form.id} onInput=${(e) => setForm({ ...form, id: e.target.value })} /></label>
      <label>${t("ad.kb_language")}<select name="language" value=${form.language} onChange=${(e) => setForm({ ...form, language: e.target.value })}>
        <option value="zh">中文</option><option value="en">English</option></select></label>
      <label>${t("ad.kb_title")}<input name="title" value=${form.title} onInput=${(e) => setForm({ ...form, title: e.target.value })} /></label>
      <label class="wide">${t("ad.kb_body")}<textarea name="body" rows="3" value=${form.body} onInput=${(e) => setForm({ ...form, body: e.target.value })}></textarea></label>
      <button type="submit" class="primary" disabled=${state.busy}>${t("ad.save")}</button>
    </form>
    <${Outcome} state=${state} id="kb" />
    <form id="kb-preview" class="fields-row" onSubmit=${test}>
      <label>${t("ad.kb_question")}<input name="q" value=${question} onInput=${(e) => setQuestion(e.target.value)} /></label>
      <button type="submit" class="secondary">${t("ad.kb_preview")}</button>
    </form>
    <${Outcome} state=${asked} id="kb-preview" />
    ${preview ? html`<div id="kb-answer" class=${`kb-answer ${preview.confident ? "confident" : "unsure"}`} data-confident=${String(preview.confident)}>
      ${preview.confident && preview.hits.length
        ? html`<p><strong>${t("ad.kb_would_answer")}</strong> ${preview.hits[0].article.title}</p><p class="muted">${preview.hits[0].article.body}</p>`
        : html`<p>${t("ad.kb_to_agent")}</p>`}
    </div>` : null}
    <table class="data admin" id="articles">
      <thead><tr><th scope="col">ID</th><th scope="col">${t("ad.kb_language")}</th><th scope="col">${t("ad.kb_title")}</th></tr></thead>
      <tbody>${items.map((a) => html`<tr data-article=${a.id}><th scope="row">${a.id}</th><td>${a.language}</td><td>${a.title}</td></tr>`)}</tbody>
    </table>
  </section>`;
}

export function Work() {
  return html`<${Complaints} /><${Watchlist} /><${Callbacks} /><${Knowledge} />`;
}
