// The reports page: kefu's server-rendered SVG charts (titled in the reader's language, sites by name, a
// continuous time axis), tables of service figures by queue, site and agent, the anti-fraud cases by base
// and specialist, and the staffing view as a labelled table and chart. Every table downloads as CSV (the
// server makes the CSV, its cells safe to open in a spreadsheet).

import { api, ApiError, token } from "../api.js";
import { duration, lang, money, t } from "../i18n.js";
import { html, render, useEffect, useRef, useState } from "../ui.js";
import { Bar, SignIn, useLang, useSession } from "./shell.js";

const CHARTS_OVER_TIME = ["service_level", "volume", "csat"];
const CHARTS_PER_SITE = ["service_level_by_site", "volume_by_site", "csat_by_site"];
const SERVICE_COLUMNS = ["contacts", "answered", "abandoned", "transferred", "service_level_pct", "asa_s", "aht_s", "csat_avg", "complaints"];
const FRAUD_COLUMNS = ["offered", "answered", "first_contact_s", "dissuaded", "released", "unreachable"];

function today() {
  // Today's date in Beijing (UTC+8, no daylight saving), as yyyy-mm-dd.
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

function addDays(date, n) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function params(form, more = {}) {
  const offset = form.tz === "Asia/Shanghai" ? "+08:00" : "Z";
  // Whole local days: from the start of "from" to the end of "to".
  return new URLSearchParams({
    from: `${form.from}T00:00:00${offset}`,
    to: `${addDays(form.to, 1)}T00:00:00${offset}`,
    interval: form.interval,
    tz: form.tz,
    lang: lang(),
    ...more,
  });
}

async function authorised(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${token()}` } });
  const text = await response.text();
  if (!response.ok) {
    let problem = null;
    try { problem = JSON.parse(text); } catch (_) { /* not problem+json */ }
    throw new ApiError(response.status, problem);
  }
  return text;
}

async function downloadCsv(path, filename) {
  const text = await authorised(path);
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// Every agent's name (a page at a time, up to a few thousand), for the per-agent table.
async function allAgents() {
  const items = [];
  let cursor = null;
  for (let n = 0; n < 20; n += 1) {
    const page = await api("GET", `/api/v1/agents?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    items.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return { items };
}

function Chart({ name, query }) {
  const ref = useRef(null);
  useEffect(() => {
    let live = true;
    authorised(`/api/v1/reports/charts/${name}.svg?${query}`).then((text) => {
      if (!live || !ref.current) return;
      const svg = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
      ref.current.replaceChildren(document.importNode(svg, true));
    }).catch(() => {});
    return () => { live = false; };
  }, [name, query]);
  return html`<figure class="chart" data-chart=${name} ref=${ref}></figure>`;
}

function fmt(column, value) {
  if (value === null || value === undefined) return "—";
  if (column.endsWith("_pct")) return `${Number(value).toFixed(1)}%`;
  if (column.endsWith("_s")) return duration(value);
  if (column === "csat_avg") return Number(value).toFixed(2);
  return String(value);
}

function savedText(saved) {
  const pairs = Object.entries(saved ?? {}).filter(([, v]) => v);
  return pairs.length ? pairs.map(([c, v]) => money(v, c)).join(" · ") : "—";
}

function Table({ id, caption, columns, rows, csv }) {
  return html`
    <section class="card report-table" aria-labelledby=${`${id}-title`}>
      <div class="table-head">
        <h2 id=${`${id}-title`}>${caption}</h2>
        ${csv ? html`<button type="button" class="secondary csv" data-csv=${id} onClick=${csv}>${t("rp.csv")}</button>` : null}
      </div>
      ${rows.length === 0 ? html`<p class="muted">${t("rp.empty")}</p>` : html`
        <div class="scroll"><table id=${id} class="data">
          <thead><tr>${columns.map(([, label]) => html`<th scope="col">${label}</th>`)}</tr></thead>
          <tbody>
            ${rows.map((row) => html`<tr data-key=${row.key}>
              ${columns.map(([key], n) => (n === 0
                ? html`<th scope="row">${row.cells[key]}</th>`
                : html`<td class=${key}>${row.cells[key]}</td>`))}
            </tr>`)}
          </tbody>
        </table></div>`}
    </section>`;
}

function StaffingChart({ queue, name, present }) {
  if (!queue) return null;
  const W = 720, H = 260, L = 48, B = 40, T = 20, R = 16;
  const hours = queue.hours;
  const top = Math.max(1, present, ...hours.map((h) => h.required_agents));
  const slot = (W - L - R) / Math.max(1, hours.length);
  const y = (v) => T + (H - T - B) * (1 - v / top);
  const hourOf = (iso) => new Date(iso).toLocaleTimeString(lang() === "en" ? "en-GB" : "zh-CN",
    { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hour12: false });
  return html`
    <svg id="staffing-chart" viewBox=${`0 0 ${W} ${H}`} role="img" aria-label=${`${t("rp.staffing_chart")}: ${name}`}>
      <title>${t("rp.staffing_chart")}: ${name}</title>
      ${[0, 0.5, 1].filter((f) => Number.isInteger(top * f)).map((f) => html`
        <line x1=${L} x2=${W - R} y1=${y(top * f)} y2=${y(top * f)} class="grid" />
        <text x=${L - 6} y=${y(top * f) + 4} text-anchor="end" class="axis">${Math.round(top * f)}</text>`)}
      ${hours.map((h, n) => html`
        <g class="hour" data-hour=${h.start} data-required=${h.required_agents}>
          <rect class="required" x=${L + slot * n + slot * 0.15} width=${slot * 0.7}
            y=${y(h.required_agents)} height=${y(0) - y(h.required_agents)} />
          <text x=${L + slot * n + slot / 2} y=${y(h.required_agents) - 4} text-anchor="middle" class="value">${h.required_agents}</text>
          <text x=${L + slot * n + slot / 2} y=${H - B + 16} text-anchor="middle" class="axis">${hourOf(h.start)}</text>
        </g>`)}
      <line class="present" x1=${L} x2=${W - R} y1=${y(present)} y2=${y(present)} data-present=${present} />
      <text class="present-label" x=${W - R} y=${y(present) - 6} text-anchor="end">${t("rp.present")}: ${present}</text>
      <rect class="required" x=${L} y=${H - 14} width="10" height="10" />
      <text x=${L + 14} y=${H - 5} class="axis">${t("rp.required")}</text>
    </svg>`;
}

function Reports() {
  useLang();
  const [session] = useSession();
  const [form, setForm] = useState({ from: today(), to: today(), interval: "hour", tz: "Asia/Shanghai" });
  const [applied, setApplied] = useState(form);
  const [data, setData] = useState(null);
  const [error, setError] = useState("");
  const [staffQueue, setStaffQueue] = useState("");
  const current = lang();

  useEffect(() => {
    if (session.status !== "ready") return;
    let live = true;
    const q = params(applied);
    const day = params({ ...applied, interval: "day" });
    Promise.all([
      api("GET", "/api/v1/sites"),
      api("GET", "/api/v1/queues"),
      allAgents().catch(() => ({ items: [] })),
      api("GET", `/api/v1/reports/service?${params(applied, { group_by: "queue", interval: "day" })}`),
      api("GET", `/api/v1/reports/service?${params(applied, { group_by: "site", interval: "day" })}`),
      api("GET", `/api/v1/reports/service?${params(applied, { group_by: "agent", interval: "day" })}`),
      api("GET", `/api/v1/reports/fraud?${day}&group_by=site`),
      api("GET", `/api/v1/reports/fraud?${day}&group_by=specialist`),
      api("GET", "/api/v1/reports/staffing?hours=8"),
    ]).then(([sites, queues, agents, byQueue, bySite, byAgent, fraudSite, fraudSpecialist, staffing]) => {
      if (!live) return;
      setError("");
      setData({ sites, queues, agents: agents.items, byQueue, bySite, byAgent, fraudSite, fraudSpecialist, staffing, q });
      document.body.dataset.loaded = "true";
    }).catch((e) => setError(e.message));
    return () => { live = false; };
  }, [session.status, applied, current]);

  const bar = html`<${Bar} title=${t("rp.title")} page="reports" me=${session.me} />`;
  if (session.status === "signin") return html`${bar}<main id="main" class="reports"><${SignIn} expired=${false} /></main>`;

  const siteName = (id) => {
    const s = data?.sites.find((x) => x.id === id);
    return s ? (current === "en" ? s.name : s.name_zh) : id;
  };
  const queueName = (id) => data?.queues.find((x) => x.id === id)?.name ?? id;
  const agentName = (id) => (id === "none" ? t("rp.none") : data?.agents.find((x) => x.id === id)?.name ?? id);
  const serviceRows = (report, name) => (report?.rows ?? []).map((r) => ({
    key: `${r.key}@${r.bucket}`,
    cells: {
      name: name(r.key),
      bucket: r.bucket.slice(0, 10),
      ...Object.fromEntries(SERVICE_COLUMNS.map((c) => [c, fmt(c, r[c])])),
    },
  }));
  const serviceColumns = (label) => [
    ["name", label], ["bucket", t("rp.col.bucket")],
    ...SERVICE_COLUMNS.map((c) => [c, t(`rp.col.${c}`)]),
  ];
  const fraudRows = (report) => (report?.rows ?? []).map((r) => ({
    key: r.key,
    cells: {
      name: r.key === "none" ? t("rp.none") : r.name,
      ...Object.fromEntries(FRAUD_COLUMNS.map((c) => [c, fmt(c, r[c])])),
      saved: savedText(r.saved),
    },
  }));
  const fraudColumns = (label) => [
    ["name", label],
    ...FRAUD_COLUMNS.map((c) => [c, t(c === "answered" ? "rp.col.fraud_answered" : `rp.col.${c}`)]),
    ["saved", t("rp.col.saved")],
  ];
  const csv = (path, extra, filename) => () =>
    downloadCsv(`${path}?${params(applied, { ...extra, format: "csv" })}`, filename).catch((e) => setError(e.message));

  const staffing = data?.staffing.queues ?? [];
  const hourLabels = (staffing[0]?.hours ?? []).map((h) => new Date(h.start).toLocaleTimeString("en-GB",
    { timeZone: "Asia/Shanghai", hour: "2-digit", hour12: false }).slice(0, 2));
  const chosen = staffing.find((q) => q.queue === staffQueue)
    ?? [...staffing].sort((a, b) => Math.max(...b.hours.map((h) => h.required_agents)) - Math.max(...a.hours.map((h) => h.required_agents)))[0];

  return html`${bar}
    <main id="main" class="reports" tabindex="-1">
      <form id="window" class="card window" onSubmit=${(e) => { e.preventDefault(); setApplied({ ...form }); }}>
        <label>${t("rp.from")} <input type="date" id="from" value=${form.from} required
          onInput=${(e) => setForm({ ...form, from: e.target.value })} /></label>
        <label>${t("rp.to")} <input type="date" id="to" value=${form.to} required
          onInput=${(e) => setForm({ ...form, to: e.target.value })} /></label>
        <label>${t("rp.interval")}
          <select id="interval" value=${form.interval} onChange=${(e) => setForm({ ...form, interval: e.target.value })}>
            <option value="hour">${t("rp.interval.hour")}</option>
            <option value="day">${t("rp.interval.day")}</option>
          </select></label>
        <label>${t("rp.tz")}
          <select id="tz" value=${form.tz} onChange=${(e) => setForm({ ...form, tz: e.target.value })}>
            <option value="Asia/Shanghai">Asia/Shanghai</option><option value="UTC">UTC</option>
          </select></label>
        <button type="submit" class="primary">${t("rp.update")}</button>
      </form>
      <p id="status" role="status" class="error">${error}</p>
      ${data ? html`
        <section aria-labelledby="over-time">
          <h2 id="over-time">${t("rp.over_time")}</h2>
          <div class="charts">${CHARTS_OVER_TIME.map((n) => html`<${Chart} key=${n} name=${n} query=${data.q.toString()} />`)}</div>
        </section>
        <section aria-labelledby="per-site">
          <h2 id="per-site">${t("rp.per_site")}</h2>
          <div class="charts">${CHARTS_PER_SITE.map((n) => html`<${Chart} key=${n} name=${n} query=${data.q.toString()} />`)}</div>
        </section>
        <${Table} id="by-queue" caption=${t("rp.by_queue")} columns=${serviceColumns(t("rp.col.queue"))}
          rows=${serviceRows(data.byQueue, queueName)} csv=${csv("/api/v1/reports/service", { group_by: "queue", interval: "day" }, "service-by-queue.csv")} />
        <${Table} id="by-site" caption=${t("rp.by_site")} columns=${serviceColumns(t("rp.col.site"))}
          rows=${serviceRows(data.bySite, siteName)} csv=${csv("/api/v1/reports/service", { group_by: "site", interval: "day" }, "service-by-site.csv")} />
        <${Table} id="by-agent" caption=${t("rp.by_agent")} columns=${serviceColumns(t("rp.col.agent"))}
          rows=${serviceRows(data.byAgent, agentName)} csv=${csv("/api/v1/reports/service", { group_by: "agent", interval: "day" }, "service-by-agent.csv")} />
        <${Table} id="fraud-site" caption=${t("rp.fraud_site")} columns=${fraudColumns(t("rp.col.site"))}
          rows=${fraudRows(data.fraudSite)} csv=${csv("/api/v1/reports/fraud", { group_by: "site" }, "fraud-by-site.csv")} />
        <${Table} id="fraud-specialist" caption=${t("rp.fraud_specialist")} columns=${fraudColumns(t("rp.col.specialist"))}
          rows=${fraudRows(data.fraudSpecialist)} csv=${csv("/api/v1/reports/fraud", { group_by: "specialist" }, "fraud-by-specialist.csv")} />
        <section class="card report-table" aria-labelledby="staffing-title">
          <div class="table-head">
            <h2 id="staffing-title">${t("rp.staffing")}</h2>
            <button type="button" class="secondary csv" data-csv="staffing"
              onClick=${() => downloadCsv("/api/v1/reports/staffing?hours=8&format=csv", "staffing.csv").catch((e) => setError(e.message))}>${t("rp.csv")}</button>
          </div>
          <div class="scroll"><table id="staffing" class="data">
            <caption class="muted">${t("rp.required")}</caption>
            <thead><tr>
              <th scope="col">${t("rp.col.queue")}</th><th scope="col">${t("rp.col.available")}</th>
              <th scope="col">${t("rp.col.away")}</th><th scope="col">${t("rp.col.aht")}</th>
              ${hourLabels.map((h) => html`<th scope="col">${t("rp.col.hour", { h })}</th>`)}
            </tr></thead>
            <tbody>
              ${staffing.map((q) => html`<tr data-queue=${q.queue}>
                <th scope="row">${queueName(q.queue)}</th>
                <td>${q.agents.available ?? 0}</td><td>${q.agents.away ?? 0}</td><td>${duration(q.aht_s)}</td>
                ${q.hours.map((h) => html`<td class="required" title=${`${h.forecast_contacts}/h`}>${h.required_agents}</td>`)}
              </tr>`)}
            </tbody>
          </table></div>
          <label class="inline">${t("rp.col.queue")}
            <select id="staffing-queue" value=${chosen?.queue ?? ""} onChange=${(e) => setStaffQueue(e.target.value)}>
              ${staffing.map((q) => html`<option value=${q.queue}>${queueName(q.queue)}</option>`)}
            </select></label>
          <${StaffingChart} queue=${chosen} name=${chosen ? queueName(chosen.queue) : ""} present=${chosen?.agents.available ?? 0} />
        </section>` : null}
    </main>`;
}

render(html`<${Reports} />`, document.getElementById("app"));
