// The supervisor wallboard. The server pushes a full snapshot over the event stream after every burst of
// events (and every 15 s when quiet); waits tick on locally between pushes. The anti-fraud panel appears when
// the case and fraud-stats APIs answer, refreshed on case events and at most every 30 s.

import { api, ApiError, optional, token } from "./api.js";
import { $, fill, h, toast } from "./dom.js";
import { apply, clock, duration, lang, money, setLang, t } from "./i18n.js";
import { connect } from "./stream.js";

const FRAUD_REFRESH_MS = 30000;
const STATES = ["available", "busy", "away", "offline"];
let board = null;
let receivedAt = 0;
let live = false;

function pct(value) {
  return value === null || value === undefined ? "—" : `${value.toFixed(1)}%`;
}

function figure(key, value, cls, wide = false) {
  return h("div", { class: wide ? "wide" : null }, h("dt", { text: t(key) }), h("dd", { class: cls, text: value }));
}

function render() {
  if (!board) return;
  const elapsed = (Date.now() - receivedAt) / 1000;
  const below = board.queues.filter((q) => q.below_target);
  // Only touch the alert when it changes: role="alert" is announced on every change.
  const alert = below.length ? t("wb.alerts", { n: below.length }) : "";
  if ($("alerts").textContent !== alert) $("alerts").textContent = alert;
  $("alerts").hidden = below.length === 0;
  $("updated").textContent = t("wb.updated", { t: clock(board.at) });
  $("queues").replaceChildren(
    ...board.queues.map((q) => {
      const s = q.stats;
      const idle = s.service_level_pct === null;
      const wait = s.waiting > 0 ? s.longest_wait_s + elapsed : 0;
      return h("li", { class: `tile${q.below_target ? " below" : ""}${idle ? " idle" : ""}`, dataset: { queue: q.id } },
        h("h3", {}, h("span", { text: q.name }),
          h("span", {
            class: `badge ${q.below_target ? "alert" : idle ? "neutral" : "ok"}`,
            text: t(q.below_target ? "wb.below" : idle ? "wb.no_data" : "wb.ok"),
          })),
        h("dl", { class: "figures" },
          figure("wb.waiting", String(s.waiting), "waiting"),
          figure("wb.longest", duration(wait), "longest"),
          figure("wb.sl", pct(s.service_level_pct), "sl"),
          figure("wb.target", t("wb.target_value", { p: pct(s.target_pct), s: duration(s.answer_within_s) }), "small"),
          figure("wb.today",
            `${pct(s.today.service_level_pct)} · ${s.today.answered} ${t("wb.answered")} · ${s.today.abandoned} ${t("wb.abandoned")}`,
            "small", true)));
    }),
  );
  const en = lang() === "en";
  $("sites").replaceChildren(
    ...board.sites.map((site) =>
      h("tr", { dataset: { site: site.site } },
        h("th", { scope: "row", text: en ? site.name : site.name_zh }),
        ...STATES.map((state) => h("td", { class: state, text: String(site.agents[state] ?? 0) })))),
  );
}

// == anti-fraud (when the case APIs exist) =======================================================
function perCurrency(amounts) {
  // {CNY: 120000, USD: 500} (minor units) -> "¥1,200.00 · US$5.00"
  const pairs = Object.entries(amounts ?? {}).filter(([, minor]) => minor);
  return pairs.length ? pairs.map(([cur, minor]) => money(minor, cur)).join(" · ") : money(0, "CNY");
}

function localMidnight() {
  // Midnight today in Asia/Shanghai (UTC+8, no daylight saving), as an ISO instant.
  const shanghai = new Date(Date.now() + 8 * 3600 * 1000);
  shanghai.setUTCHours(0, 0, 0, 0);
  return new Date(shanghai.getTime() - 8 * 3600 * 1000).toISOString();
}

let fraud = null; // the last anti-fraud figures, kept raw so that a language switch re-renders at once

async function loadFraud() {
  const to = new Date(Date.now() + 60 * 1000).toISOString();
  const [cases, stats] = await Promise.all([
    optional("/api/v1/cases?status=open&limit=200"),
    optional(`/api/v1/stats/fraud?from=${encodeURIComponent(localMidnight())}&to=${encodeURIComponent(to)}`),
  ]);
  fraud = { cases, stats };
  renderFraud();
}

function renderFraud() {
  if (!fraud) return;
  const { cases, stats } = fraud;
  $("fraud-panel").hidden = !cases.present && !stats.present;
  const tiles = [];
  if (cases.present) {
    const held = {};
    // Money waiting on a decision: decide cases (a protect case's payment is already refused).
    for (const c of cases.data.items.filter((x) => (x.kind ?? "decide") === "decide")) {
      held[c.currency] = (held[c.currency] ?? 0) + c.amount;
    }
    const more = cases.data.next_cursor ? "+" : "";
    tiles.push(["wb.open_cases", `${cases.data.items.length}${more}`, "open-cases"]);
    tiles.push(["wb.held", perCurrency(held), "held"]);
  }
  if (stats.present) tiles.push(["wb.saved_today", perCurrency(stats.data.saved), "saved"]);
  fill($("fraud"),
    tiles.map(([key, value, cls]) =>
      h("div", { class: cls }, h("div", { class: "muted", text: t(key) }), h("div", { class: "figure", text: value }))),
  );
}

// == start =======================================================================================
function setLive(on) {
  live = on;
  $("live").hidden = false;
  $("live").classList.toggle("on", on);
  $("live").textContent = t(on ? "live.on" : "live.off");
}

function toggleLang() {
  setLang(lang() === "zh" ? "en" : "zh");
  render();
  renderFraud();
  setLive(live);
}

$("lang").addEventListener("click", toggleLang);
document.addEventListener("keydown", (event) => {
  if (event.key.toLowerCase() === "l" && !event.ctrlKey && !event.metaKey && !event.altKey) toggleLang();
});

async function start() {
  apply(document);
  if (!token()) {
    $("signin").hidden = false;
    return;
  }
  try {
    const me = await api("GET", "/api/v1/auth/me");
    $("who").textContent = me.username;
    board = await api("GET", "/api/v1/wallboard");
    receivedAt = Date.now();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) $("signin").hidden = false;
    else if (error instanceof ApiError && error.status === 403) $("forbidden").hidden = false;
    else toast(error.message, true);
    return;
  }
  $("board").hidden = false;
  render();
  await loadFraud().catch(() => {});
  connect({
    wallboard: true,
    onState: setLive,
    onEvent: (name, data) => {
      if (name === "wallboard") {
        board = data;
        receivedAt = Date.now();
        render();
      } else if (name.startsWith("case.") || name.startsWith("payment.")) {
        loadFraud().catch(() => {});
      }
    },
  });
  setInterval(render, 1000); // local clock only: waits keep counting between pushes
  setInterval(() => loadFraud().catch(() => {}), FRAUD_REFRESH_MS);
}

start();
