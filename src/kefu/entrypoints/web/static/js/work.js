// Intervention cases and callbacks in the workspace. Their APIs landed after the rest: the cases panel first
// checks that its route answers, and stays hidden while it does not (404).

import { api, optional } from "./api.js";
import { $, fill, h, toast } from "./dom.js";
import { clock, lang, money, t } from "./i18n.js";

const OUTCOMES = ["dissuaded", "released", "unreachable"];
const CASE_ATTEMPTS = ["reached", "no_answer", "busy", "rejected"];
const CALLBACK_ATTEMPTS = ["reached", "no_answer", "busy", "wrong_number"];
const CALL_FIELDS = { payer: "payer_phone", trusted_contact: "trusted_contact_phone" };

function pick(pair) {
  // {zh, en} -> the text of the current language
  return pair ? (pair[lang()] ?? pair.zh) : null;
}

function reasonText(reason) {
  return lang() === "en" ? reason.message_en : reason.message_zh;
}

function typologyTitle(c) {
  return pick(c.playbook?.title) ?? c.typology ?? t("kind.case");
}

export async function loadCases(state, openCase) {
  const found = await optional("/api/v1/cases?status=open&limit=200");
  $("cases-panel").hidden = !found.present || !state.me?.agent_id;
  if (!found.present) return;
  const mine = found.data.items.filter((c) => c.agent_id && c.agent_id === state.me?.agent_id);
  fill($("cases"),
    mine.map((c) =>
      h("li", {},
        h("button", {
          type: "button", class: "item", dataset: { case: c.id },
          "aria-current": state.current?.id === c.id ? "true" : null,
          onclick: () => openCase(c.id),
        },
        h("span", {}, h("strong", { text: money(c.amount, c.currency) }), " ",
          c.elderly ? h("span", { class: "badge care", text: t("customer.elderly") }) : null),
        h("span", { class: "meta", text: `${c.payee_name} · ${clock(c.opened_at)}` })))),
  );
  $("cases-empty").hidden = mine.length > 0;
}

function attemptLine(a) {
  return h("li", {}, `${clock(a.at)} · ${t(`attempt.${a.result}`)}`, a.note ? ` · ${a.note}` : null);
}

async function callContact(id, target) {
  // The full number is revealed (audited) for this call only, then dialled: a tel: link on the agent's
  // phone, or the centre's telephony platform ringing the agent's extension first.
  const out = $("case-call-result");
  try {
    const shown = await api("POST", `/api/v1/cases/${id}/reveal`, { field: CALL_FIELDS[target] });
    const call = await api("POST", `/api/v1/cases/${id}/call`, { target });
    const who = `${shown.name} · ${shown.phone}`;
    if (call.link) {
      fill(out, h("a", { href: call.link, class: "call-link", text: `${t("case.dial")} ${who}` }));
    } else {
      fill(out, call.placed ? `${t("case.ringing")} ${who}` : `${t("error.generic")}: ${call.error ?? ""}`);
    }
  } catch (error) {
    toast(`${t("error.generic")}: ${error.message}`, true);
  }
}

export async function showCase(id, root, changed) {
  const c = await api("GET", `/api/v1/cases/${id}`);
  const open = c.status === "open";
  const targets = Object.keys(CALL_FIELDS).filter((target) =>
    target === "payer" ? c.payer?.phone : c.payer?.trusted_contact);
  const pending = c.status === "pending_approval";
  const act = async (path, body, done) => {
    try {
      await api("POST", `/api/v1/cases/${id}/${path}`, body);
      toast(done);
      await showCase(id, root, changed);
      await changed();
    } catch (error) {
      toast(`${t("error.generic")}: ${error.message}`, true);
    }
  };
  fill(root,
    h("header", { class: "work-head" },
      h("h2", { id: "case-title", text: `${t("kind.case")} · ${typologyTitle(c)}` }),
      h("p", { class: "muted" }, `${t("case.status")}: `,
        h("span", {
          class: `badge ${open || pending ? "alert" : "ok"}`,
          text: open ? t("case.open") : pending ? t("case.pending_approval") : t(`case.${c.outcome}`),
        }),
        c.elderly ? " " : null,
        c.elderly ? h("span", { class: "badge care", text: t("customer.elderly") }) : null)),
    h("div", { class: "case-grid" },
      h("section", { "aria-labelledby": "case-payment" },
        h("h3", { id: "case-payment", text: t("case.payment") }),
        h("p", { class: "amount", text: money(c.amount, c.currency) }),
        h("dl", { class: "facts" },
          h("dt", { text: t("case.payee") }), h("dd", { text: c.payee_name }),
          h("dt", { text: t("case.payer") }), h("dd", { text: c.payer ? `${c.payer.name} · ${c.payer.phone ?? "—"}` : "—" }),
          h("dt", { text: t("case.hold_until") }), h("dd", { text: clock(c.hold_expires_at) }))),
      h("section", { "aria-labelledby": "case-reasons" },
        h("h3", { id: "case-reasons", text: t("case.reasons") }),
        h("ul", {}, c.reasons.map((r) => h("li", { text: reasonText(r) }))))),
    h("section", { class: "playbook", "aria-labelledby": "case-playbook" },
      h("h3", { id: "case-playbook", text: `${t("case.playbook")}: ${typologyTitle(c)}` }),
      h("p", { class: "muted", text: t("case.ask") }),
      h("ol", {}, (pick(c.playbook?.ask) ?? []).map((line) => h("li", { text: line }))),
      h("p", { class: "muted", text: t("case.explain") }),
      h("ol", {}, (pick(c.playbook?.explain) ?? []).map((line) => h("li", { text: line })))),
    open && targets.length ? h("section", { "aria-labelledby": "case-call" },
      h("h3", { id: "case-call", text: t("case.call") }),
      h("div", { class: "button-row" },
        targets.map((target) => h("button", {
          type: "button", dataset: { call: target }, text: t(`case.call_${target}`),
          onclick: () => callContact(id, target),
        }))),
      h("p", { id: "case-call-result", class: "muted", "aria-live": "polite" })) : null,
    h("section", { "aria-labelledby": "case-attempts" },
      h("h3", { id: "case-attempts", text: t("case.attempts") }),
      c.contact_attempts.length
        ? h("ul", { class: "list compact" }, c.contact_attempts.map(attemptLine))
        : h("p", { class: "muted", text: t("case.attempts_empty") }),
      open ? h("div", { class: "button-row", role: "group", "aria-label": t("case.record_attempt") },
        CASE_ATTEMPTS.map((result) => h("button", {
          type: "button", text: t(`attempt.${result}`),
          onclick: () => act("contact-attempts", { result }, t("callback.recorded", { r: t(`attempt.${result}`) })),
        }))) : null),
    open ? h("section", { "aria-labelledby": "case-outcome" },
      h("h3", { id: "case-outcome", text: t("case.outcome") }),
      // A release needs a reason (and a reached contact); the note goes with any outcome.
      h("label", { for: "case-note", text: t("case.note") }),
      h("textarea", { id: "case-note", rows: 2, maxlength: 2000 }),
      h("div", { class: "button-row" },
        OUTCOMES.map((outcome) => h("button", {
          type: "button", class: outcome === "dissuaded" ? "primary" : outcome === "released" ? "secondary" : null,
          dataset: { outcome }, text: t(`case.${outcome}`),
          onclick: () => {
            const note = $("case-note").value.trim();
            act("resolve", note ? { outcome, note } : { outcome }, t("case.done", { o: t(`case.${outcome}`) }));
          },
        })))) : null,
  );
  return c;
}

export async function showCallback(id, root) {
  const cb = await api("GET", `/api/v1/callbacks/${id}`);
  const open = !["completed", "failed", "cancelled"].includes(cb.status);
  fill(root,
    h("header", { class: "work-head" },
      h("h2", { id: "case-title", text: `${t("kind.callback")} · ${cb.reason}` }),
      h("p", { class: "muted" }, `${t("callback.window")}: ${clock(cb.window_start)}–${clock(cb.window_end)} · `,
        h("span", { class: "badge neutral", text: t(`callback.status.${cb.status}`) }),
        cb.care ? " " : null,
        cb.care ? h("span", { class: "badge care", text: t("care.badge") }) : null)),
    h("dl", { class: "facts" },
      h("dt", { text: t("customer.phone") }), h("dd", { text: cb.phone ?? "—" })),
    h("h3", { text: t("callback.attempts") }),
    cb.attempts.length
      ? h("ul", { class: "list compact" }, cb.attempts.map(attemptLine))
      : h("p", { class: "muted", text: t("case.attempts_empty") }),
    open ? h("div", { class: "button-row", role: "group", "aria-label": t("callback.attempts") },
      CALLBACK_ATTEMPTS.map((result) => h("button", {
        type: "button", text: t(`attempt.${result}`),
        onclick: async () => {
          try {
            await api("POST", `/api/v1/callbacks/${id}/attempts`, { result });
            toast(t("callback.recorded", { r: t(`attempt.${result}`) }));
            await showCallback(id, root);
          } catch (error) {
            toast(`${t("error.generic")}: ${error.message}`, true);
          }
        },
      }))) : null,
  );
  return cb;
}
