// The admin console's "agents and routing" tab: agents (site, skills with levels, capacity per channel;
// add one, change one) and the routing rules (in the order they are tried; add, remove).

import { api } from "../api.js";
import { lang, t } from "../i18n.js";
import { html, useEffect, useState } from "../ui.js";
import { Outcome, useCall } from "./work.js";

// "payments:4, anti_fraud:3" <-> {payments: 4, anti_fraud: 3}: a compact way to edit levels in one box.
function parsePairs(text) {
  const out = {};
  for (const part of text.split(/[,，\s]+/).filter(Boolean)) {
    const [name, value] = part.split(/[:：=]/);
    out[name.trim()] = Number(value);
  }
  return out;
}

function pairs(map) {
  return Object.entries(map ?? {}).map(([k, v]) => `${k}:${v}`).join(", ");
}

function AgentRow({ agent, sites, siteName, reload }) {
  const [form, setForm] = useState({ site: agent.site, skills: pairs(agent.skills), capacity: pairs(agent.capacity) });
  const [state, run] = useCall();
  const save = () => run(() => api("PATCH", `/api/v1/agents/${agent.id}`, {
    site: form.site, skills: parsePairs(form.skills), capacity: parsePairs(form.capacity),
  }), t("ad.saved")).then(reload);
  return html`<tr data-agent=${agent.id}>
    <th scope="row">${agent.name}</th>
    <td><select aria-label=${t("wb.site")} class="site" value=${form.site} onChange=${(e) => setForm({ ...form, site: e.target.value })}>
      ${sites.map((s) => html`<option value=${s.id}>${siteName(s.id)}</option>`)}</select></td>
    <td><input aria-label=${t("ad.skills")} class="skills" value=${form.skills} onInput=${(e) => setForm({ ...form, skills: e.target.value })} /></td>
    <td><input aria-label=${t("ad.capacity")} class="capacity" value=${form.capacity} onInput=${(e) => setForm({ ...form, capacity: e.target.value })} /></td>
    <td class="act"><button type="button" class="secondary save" disabled=${state.busy} onClick=${save}>${t("ad.save")}</button>
      <${Outcome} state=${state} id=${agent.id} /></td>
  </tr>`;
}

function Agents({ sites, siteName }) {
  const [items, setItems] = useState([]);
  const [form, setForm] = useState({ name: "", site: sites[0]?.id ?? "", skills: "", capacity: "chat:2, voice:1, callback:1" });
  const [state, run] = useCall();
  const load = () => api("GET", "/api/v1/agents?limit=200").then((p) => setItems(p.items)).catch(() => {});
  useEffect(() => { load(); }, []);
  const add = (event) => {
    event.preventDefault();
    run(() => api("POST", "/api/v1/agents", {
      name: form.name, site: form.site, skills: parsePairs(form.skills), capacity: parsePairs(form.capacity),
    }), t("ad.created")).then((made) => { if (made) load(); });
  };
  return html`<section class="card" aria-labelledby="staff-title">
    <h2 id="staff-title">${t("ad.staff")}</h2>
    <p class="muted">${t("ad.pairs_hint")}</p>
    <form id="agent-form" class="fields-row" onSubmit=${add}>
      <label>${t("wb.agent")}<input name="name" value=${form.name} onInput=${(e) => setForm({ ...form, name: e.target.value })} /></label>
      <label>${t("wb.site")}<select name="site" value=${form.site} onChange=${(e) => setForm({ ...form, site: e.target.value })}>
        ${sites.map((s) => html`<option value=${s.id}>${siteName(s.id)}</option>`)}</select></label>
      <label>${t("ad.skills")}<input name="skills" value=${form.skills} onInput=${(e) => setForm({ ...form, skills: e.target.value })} /></label>
      <label>${t("ad.capacity")}<input name="capacity" value=${form.capacity} onInput=${(e) => setForm({ ...form, capacity: e.target.value })} /></label>
      <button type="submit" class="primary" disabled=${state.busy}>${t("ad.create")}</button>
    </form>
    <${Outcome} state=${state} id="agent" />
    <table class="data admin" id="staff">
      <thead><tr><th scope="col">${t("wb.agent")}</th><th scope="col">${t("wb.site")}</th><th scope="col">${t("ad.skills")}</th>
        <th scope="col">${t("ad.capacity")}</th><th scope="col"></th></tr></thead>
      <tbody>${items.map((a) => html`<${AgentRow} key=${a.id} agent=${a} sites=${sites} siteName=${siteName} reload=${load} />`)}</tbody>
    </table>
  </section>`;
}

const RULE_FIELDS = ["business_line", "channel", "intent", "language"];

function Rules({ queues }) {
  const [items, setItems] = useState([]);
  const [form, setForm] = useState({ queue: queues[0]?.id ?? "", business_line: "", channel: "", intent: "", language: "", care: "" });
  const [state, run] = useCall();
  const load = () => api("GET", "/api/v1/routing-rules").then(setItems).catch(() => {});
  useEffect(() => { load(); }, []);
  const add = (event) => {
    event.preventDefault();
    const body = { queue: form.queue };
    for (const k of RULE_FIELDS) if (form[k].trim()) body[k] = form[k].trim();
    if (form.care) body.care = form.care === "yes";
    run(() => api("POST", "/api/v1/routing-rules", body), t("ad.created")).then((made) => { if (made) load(); });
  };
  const remove = (rule) => run(() => api("DELETE", `/api/v1/routing-rules/${rule.id}`)).then(load);
  const queueName = (id) => queues.find((q) => q.id === id)?.name ?? id;
  return html`<section class="card" aria-labelledby="rules-title">
    <h2 id="rules-title">${t("ad.rules")}</h2>
    <form id="rule-form" class="fields-row" onSubmit=${add}>
      <label>${t("ad.queue")}<select name="queue" value=${form.queue} onChange=${(e) => setForm({ ...form, queue: e.target.value })}>
        ${queues.map((q) => html`<option value=${q.id}>${q.name}</option>`)}</select></label>
      ${RULE_FIELDS.map((k) => html`<label>${t(`ad.rule.${k}`)}<input name=${k} value=${form[k]} onInput=${(e) => setForm({ ...form, [k]: e.target.value })} /></label>`)}
      <label>${t("ad.rule.care")}<select name="care" value=${form.care} onChange=${(e) => setForm({ ...form, care: e.target.value })}>
        <option value="">—</option><option value="yes">${t("ad.yes")}</option><option value="no">${t("ad.no")}</option></select></label>
      <button type="submit" class="primary" disabled=${state.busy}>${t("ad.add")}</button>
    </form>
    <${Outcome} state=${state} id="rule" />
    <table class="data admin" id="rules">
      <thead><tr><th scope="col">#</th><th scope="col">${t("ad.queue")}</th>
        ${RULE_FIELDS.map((k) => html`<th scope="col">${t(`ad.rule.${k}`)}</th>`)}<th scope="col">${t("ad.rule.care")}</th><th scope="col"></th></tr></thead>
      <tbody>${items.map((r) => html`<tr data-rule=${r.id}>
        <td>${r.position}</td><th scope="row">${queueName(r.queue)}</th>
        ${RULE_FIELDS.map((k) => html`<td>${r[k] ?? "—"}</td>`)}<td>${r.care === null ? "—" : t(r.care ? "ad.yes" : "ad.no")}</td>
        <td><button type="button" class="danger remove" onClick=${() => remove(r)}>${t("ad.remove")}</button></td>
      </tr>`)}</tbody>
    </table>
  </section>`;
}

export function Staff() {
  const [data, setData] = useState(null);
  useEffect(() => {
    Promise.all([api("GET", "/api/v1/sites"), api("GET", "/api/v1/queues")]).then(([sites, queues]) => setData({ sites, queues })).catch(() => {});
  }, []);
  if (!data) return null;
  const siteName = (id) => {
    const site = data.sites.find((x) => x.id === id);
    return site ? (lang() === "en" ? site.name : site.name_zh) : id;
  };
  return html`<${Agents} sites=${data.sites} siteName=${siteName} /><${Rules} queues=${data.queues} />`;
}
