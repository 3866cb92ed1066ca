// Intervention cases and callbacks in the workspace. Their APIs land later than the rest: every panel here
// first checks that its route answers, and stays hidden while it does not (404).

import { api, optional } from "./api.js";
import { $, fill, h, toast } from "./dom.js";
import { clock, lang, money, t } from "./i18n.js";

const OUTCOMES = ["dissuaded", "released", "unreachable"];
const ATTEMPTS = ["reached", "no_answer", "busy", "wrong_number"];

// A field may come as plain text, as {zh, en}, or as {code, name...}: show the best text for the language.
export function label(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value !== "object") return String(value);
  const l = lang();
  return value[l] ?? value[`name_${l}`] ?? value[`text_${l}`] ?? value.text ?? value.name ?? value.code ??
    value.id ?? JSON.stringify(value);
}

export function amountOf(payment) {
  if (!payment) return "—";
  const minor = payment.amount_minor ?? payment.amount_fen ?? payment.amount;
  const currency = payment.currency ?? "CNY";
  return typeof minor === "number" ? money(minor, currency) : "—";
}

function items(data) {
  return Array.isArray(data) ? data : (data?.items ?? []);
}

export async function loadCases(state, openCase) {
  const found = await optional("/api/v1/cases?status=open");
  $("cases-panel").hidden = !found.present;
  if (!found.present) return;
  const mine = items(found.data).filter((c) => !c.agent_id || c.agent_id === state.me?.agent_id);
  $("cases").replaceChildren(
    ...mine.map((c) =>
      h("li", {},
        h("button", {
          type: "button", class: "item", dataset: { case: c.id },
          "aria-current": state.current?.id === c.id ? "true" : null,
          onclick: () => openCase(c.id),
        },
        h("span", {}, label(c.typology), " ", h("strong", { text: amountOf(c.payment) })),
        h("span", { class: "meta", text: `${label(c.status)} · ${c.opened_at ? clock(c.opened_at) : c.id}` }))),
    ),
  );
  $("cases-empty").hidden = mine.length > 0;
}

export async function showCase(id, root, changed) {
  const c = await api("GET", `/api/v1/cases/${id}`);
  const payment = c.payment ?? {};
  const playbook = c.playbook ? label(c.playbook) : (c.typology?.playbook ? label(c.typology.playbook) : "—");
  const attempts = c.contact_attempts ?? c.attempts ?? [];
  const open = !["dissuaded", "released", "unreachable", "closed", "resolved"].includes(c.status) && !c.outcome;
  fill(root,
    h("header", { class: "work-head" },
      h("h2", { id: "case-title", text: `${t("kind.case")} · ${label(c.typology)}` }),
      h("p", { class: "muted" }, `${t("case.status")}: `, h("span", { class: "badge alert", text: label(c.outcome ?? c.status) }))),
    h("div", { class: "case-grid" },
      h("section", { "aria-labelledby": "case-payment" },
        h("h3", { id: "case-payment", text: t("case.payment") }),
        h("p", { class: "amount", text: amountOf(payment) }),
        h("dl", { class: "facts" },
          h("dt", { text: t("case.payee") }), h("dd", { text: label(payment.payee_name ?? payment.payee ?? payment.payee_id) }),
          h("dt", { text: t("case.typology") }), h("dd", { text: label(c.typology) }))),
      h("section", { "aria-labelledby": "case-reasons" },
        h("h3", { id: "case-reasons", text: t("case.reasons") }),
        h("ul", {}, ...(c.reasons ?? []).map((r) => h("li", { text: label(r) }))))),
    h("section", { "aria-labelledby": "case-playbook" },
      h("h3", { id: "case-playbook", text: t("case.playbook") }),
      h("div", { class: "playbook", text: playbook })),
    h("section", { "aria-labelledby": "case-attempts" },
      h("h3", { id: "case-attempts", text: t("case.attempts") }),
      attempts.length
        ? h("ul", { class: "list compact" }, ...attempts.map((a) =>
          h("li", { text: `${a.at || a.created_at ? clock(a.at ?? a.created_at) : ""} · ${t(`attempt.${a.result}`)}` })))
        : h("p", { class: "muted", text: t("case.attempts_empty") }),
      open ? h("div", { class: "button-row", role: "group", "aria-label": t("case.record_attempt") },
        ...ATTEMPTS.map((result) => h("button", {
          type: "button", text: t(`attempt.${result}`),
          onclick: async () => {
            await api("POST", `/api/v1/cases/${id}/contact-attempts`, { result });
            toast(t("callback.recorded", { r: t(`attempt.${result}`) }));
            await showCase(id, root, changed);
          },
        }))) : null),
    open ? h("section", { "aria-labelledby": "case-outcome" },
      h("h3", { id: "case-outcome", text: t("case.outcome") }),
      h("div", { class: "button-row" },
        ...OUTCOMES.map((outcome) => h("button", {
          type: "button", class: outcome === "dissuaded" ? "primary" : outcome === "released" ? "secondary" : "",
          dataset: { outcome }, text: t(`case.${outcome}`),
          onclick: async () => {
            await api("POST", `/api/v1/cases/${id}/resolve`, { outcome });
            toast(t("case.done", { o: t(`case.${outcome}`) }));
            await showCase(id, root, changed);
            await changed();
          },
        })))) : null,
  );
}

export async function showCallback(id, root) {
  const detail = await optional(`/api/v1/callbacks/${id}`);
  const attempts = await optional(`/api/v1/callbacks/${id}/attempts`);
  const list = items(attempts.data);
  fill(root,
    h("header", { class: "work-head" },
      h("h2", { id: "case-title", text: t("kind.callback") }),
      h("p", { class: "muted", text: detail.data?.customer_id ? `${detail.data.customer_id}` : id })),
    h("h3", { text: t("callback.attempts") }),
    list.length
      ? h("ul", { class: "list compact" }, ...list.map((a) =>
        h("li", { text: `${a.at || a.created_at ? clock(a.at ?? a.created_at) : ""} · ${t(`attempt.${a.result}`)}` })))
      : h("p", { class: "muted", text: t("case.attempts_empty") }),
    attempts.present ? h("div", { class: "button-row", role: "group", "aria-label": t("callback.attempts") },
      ...ATTEMPTS.map((result) => h("button", {
        type: "button", text: t(`attempt.${result}`),
        onclick: async () => {
          await api("POST", `/api/v1/callbacks/${id}/attempts`, { result });
          toast(t("callback.recorded", { r: t(`attempt.${result}`) }));
          await showCallback(id, root);
        },
      }))) : null,
  );
}
