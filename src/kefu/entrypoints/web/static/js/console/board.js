// The wallboard's parts: queue tiles coloured by their limits, the alarm list, the centre line, the
// anti-fraud figures, agents per site and each agent's state with time in it. Pure views of the snapshot
// that GET /api/v1/wallboard and the event stream send; `elapsed` (s) lets waits tick between pushes.

import { clock, duration, lang, money, t } from "../i18n.js";
import { html } from "../ui.js";

export const STATES = ["available", "busy", "away", "offline"];
const ORDER = ["ok", "warn", "alarm"];

export function pct(value) {
  return value === null || value === undefined ? "—" : `${Number(value).toFixed(1)}%`;
}

function worst(levels) {
  return levels.reduce((a, b) => (ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a), "ok");
}

function levelOf(value, warn, alarm, higherIsWorse) {
  if (value === null || value === undefined) return "ok";
  const past = (limit) => limit !== null && limit !== undefined && (higherIsWorse ? value >= limit : value <= limit);
  return past(alarm) ? "alarm" : past(warn) ? "warn" : "ok";
}

// The queue's breaches with the longest wait judged again as it ticks on between pushes.
export function judge(queue, elapsed) {
  const s = queue.stats;
  const wait = s.waiting > 0 ? s.longest_wait_s + elapsed : 0;
  const th = queue.thresholds ?? {};
  const breaches = { ...queue.breaches };
  delete breaches.longest_wait;
  const waitLevel = levelOf(s.waiting > 0 ? wait : null, th.wait_warn_s, th.wait_alarm_s, true);
  if (waitLevel !== "ok") breaches.longest_wait = waitLevel;
  return { wait, breaches, level: worst(Object.values(breaches)) };
}

export function lineName(line) {
  const key = `wb.line.${line}`;
  const text = t(key);
  return text === key ? line : text;
}

export function siteName(site) {
  return lang() === "en" ? site.name : site.name_zh;
}

function Figure({ label, value, cls, level = "ok", wide = false }) {
  return html`
    <div class=${wide ? "wide" : null}>
      <dt>${label}</dt>
      <dd class=${`${cls} lvl-${level}`}>${value}</dd>
    </div>`;
}

function limits(a, b, fmt) {
  if ((a === null || a === undefined) && (b === null || b === undefined)) return null;
  const f = (v) => (v === null || v === undefined ? "—" : fmt(v));
  return [f(a), f(b)];
}

function ThresholdLine({ th }) {
  if (!th) return null;
  const parts = [
    ["wb.thr_wait", limits(th.wait_warn_s, th.wait_alarm_s, duration)],
    ["wb.thr_sl", limits(th.sl_warn_pct, th.sl_alarm_pct, pct)],
    ["wb.thr_waiting", limits(th.waiting_warn, th.waiting_alarm, String)],
    ["wb.thr_available", limits(th.available_warn, th.available_alarm, String)],
  ].filter(([, pair]) => pair);
  return html`<p class="thresholds" title=${t("wb.thresholds")}>
    <span class="muted">${t("wb.thresholds")}:</span>
    ${parts.map(([key, [w, a]]) => html` <span class="thr">${t(key, { w, a })}</span>`)}
  </p>`;
}

export function Tile({ queue, elapsed, site }) {
  const s = queue.stats;
  const { wait, breaches, level } = judge(queue, elapsed);
  const idle = s.service_level_pct === null && s.waiting === 0;
  const available = site
    ? (s.agents?.[site]?.available ?? 0)
    : queue.available;
  const badge = queue.unanswered ? ["alarm", "wb.unanswered"]
    : queue.below_target ? ["alarm", "wb.below"]
      : level === "alarm" ? ["alarm", "wb.alarm"]
        : level === "warn" ? ["warn", "wb.warn"]
          : idle ? ["neutral", "wb.no_data"] : ["ok", "wb.ok"];
  const cls = ["tile", queue.below_target ? "below" : null, idle && level === "ok" ? "idle" : null, `level-${level}`]
    .filter(Boolean).join(" ");
  const today = s.today ?? {};
  return html`
    <li class=${cls} data-queue=${queue.id} data-level=${level}>
      <h3><span>${queue.name}</span><span class=${`badge ${badge[0]}`}>${t(badge[1])}</span></h3>
      <dl class="figures">
        <${Figure} label=${t("wb.waiting")} value=${String(s.waiting)} cls="waiting" level=${breaches.waiting} />
        <${Figure} label=${t("wb.longest")} value=${duration(wait)} cls="longest"
          level=${breaches.longest_wait ?? (queue.unanswered ? "alarm" : "ok")} />
        <${Figure} label=${t("wb.sl")} value=${pct(s.service_level_pct)} cls="sl" level=${breaches.service_level} />
        <${Figure} label=${t("wb.available")} value=${String(available)} cls="available"
          level=${breaches.no_agent ?? breaches.available} />
        <${Figure} label=${t("wb.target")} cls="small"
          value=${t("wb.target_value", { p: pct(s.target_pct), s: duration(s.answer_within_s) })} />
        <${Figure} label=${t("wb.today")} cls="small" wide=${true}
          value=${`${pct(today.service_level_pct)} · ${today.answered ?? 0} ${t("wb.answered")} · ${today.abandoned ?? 0} ${t("wb.abandoned")}`} />
      </dl>
      <${ThresholdLine} th=${queue.thresholds} />
    </li>`;
}

function perCurrency(amounts) {
  const pairs = Object.entries(amounts ?? {}).filter(([, minor]) => minor);
  return pairs.length ? pairs.map(([cur, minor]) => money(minor, cur)).join(" · ") : money(0, "CNY");
}

function alarmText(alarm) {
  const vars = {
    q: alarm.queue_name ?? alarm.queue_id ?? "",
    n: alarm.count,
    m: alarm.metric ? t(`wb.metric.${alarm.metric}`) : "",
    a: perCurrency(alarm.amounts),
  };
  return t(`wb.alarm.${alarm.code}`, vars);
}

export function Alarms({ alarms }) {
  // role="alert" only on the list itself: it is announced when its text changes, not on every push.
  return html`
    <section class="card alarms-card" aria-labelledby="alarms-title">
      <h2 id="alarms-title">${t("wb.alarms")}</h2>
      ${alarms.length === 0
        ? html`<p id="no-alarms" class="muted">${t("wb.no_alarms")}</p>`
        : html`<ul id="alarms" class="alarm-list" role="alert">
            ${alarms.map((a) => html`
              <li class=${`alarm lvl-${a.level}`} data-code=${a.code} data-queue=${a.queue_id ?? ""}
                data-level=${a.level}>
                <span class=${`badge ${a.level === "alarm" ? "alert" : "warn"}`}>${t(a.level === "alarm" ? "wb.alarm" : "wb.warn")}</span>
                ${" "}${alarmText(a)}
              </li>`)}
          </ul>`}
    </section>`;
}

export function CentreLine({ centre }) {
  if (!centre) return null;
  const { recent, today } = centre;
  return html`<p id="centre" class="centre-line"><strong>${t("wb.centre")}</strong>${" "}
    ${t("wb.centre_line", {
      a: recent.answered, b: recent.abandoned, s: pct(recent.service_level_pct),
      c: today.answered, d: pct(today.service_level_pct),
    })}</p>`;
}

export function Fraud({ board, fraud }) {
  const tiles = [];
  if (fraud?.cases?.present) {
    const more = fraud.cases.data.next_cursor ? "+" : "";
    tiles.push(["wb.open_cases", `${fraud.cases.data.items.length}${more}`, "open-cases"]);
  }
  tiles.push(["wb.held", perCurrency(board.held), "held"]);
  if (fraud?.stats?.present) tiles.push(["wb.saved_today", perCurrency(fraud.stats.data.saved), "saved"]);
  return html`
    <section id="fraud-panel" class="card" aria-labelledby="fraud-title">
      <h2 id="fraud-title">${t("wb.fraud")}</h2>
      <div id="fraud" class="fraud">
        ${tiles.map(([key, value, cls]) => html`
          <div class=${cls}><div class="muted">${t(key)}</div><div class="figure">${value}</div></div>`)}
      </div>
    </section>`;
}

export function Sites({ sites }) {
  return html`
    <section class="card" aria-labelledby="sites-title">
      <h2 id="sites-title">${t("wb.sites")}</h2>
      <table class="sites">
        <thead><tr>
          <th scope="col">${t("wb.site")}</th>
          ${STATES.map((state) => html`<th scope="col">${t(`wb.state.${state}`)}</th>`)}
        </tr></thead>
        <tbody id="sites">
          ${sites.map((site) => html`
            <tr data-site=${site.site}>
              <th scope="row">${siteName(site)}</th>
              ${STATES.map((state) => html`<td class=${state}>${String(site.agents[state] ?? 0)}</td>`)}
            </tr>`)}
        </tbody>
      </table>
    </section>`;
}

function reasonText(reason) {
  if (!reason) return "";
  const key = `wb.reason.${reason}`;
  return t(key) === key ? reason : t(key);
}

export function Agents({ agents, sites, now }) {
  const names = Object.fromEntries(sites.map((s) => [s.site, siteName(s)]));
  return html`
    <section class="card" aria-labelledby="agents-title">
      <h2 id="agents-title">${t("wb.agents")}</h2>
      ${agents.length === 0 ? html`<p class="muted">${t("wb.no_agents")}</p>` : html`
        <table class="sites agents">
          <thead><tr>
            <th scope="col">${t("wb.agent")}</th><th scope="col">${t("wb.site")}</th>
            <th scope="col">${t("wb.state")}</th><th scope="col">${t("wb.in_state")}</th>
            <th scope="col">${t("wb.reason")}</th>
          </tr></thead>
          <tbody id="agents">
            ${agents.map((a) => html`
              <tr data-agent=${a.id} data-state=${a.state}>
                <th scope="row">${a.name}</th>
                <td>${names[a.site] ?? a.site}</td>
                <td><span class=${`state ${a.state}`}>${t(`wb.state.${a.state}`)}</span></td>
                <td class="since">${a.since ? duration((now - Date.parse(a.since)) / 1000) : "—"}</td>
                <td class="reason">${reasonText(a.reason)}</td>
              </tr>`)}
          </tbody>
        </table>`}
    </section>`;
}

export function updatedAt(board) {
  return t("wb.updated", { t: clock(board.at) });
}
