// The case screen: every decision input beside the amount, the hold's date and time left, the family
// alert, the attempts and the next one due, reveal and dial, and outcomes that follow the server's rules
// (a release needs a reached attempt and a reason; a large one waits for a supervisor: 待主管批准).

import { lang, money, t } from "../i18n.js";
import { html, useEffect, useRef, useState } from "../ui.js";
import { useAction, useNow } from "./hooks.js";
import { call, listen, pick, problemText, span, stamp } from "./session.js";
import { say } from "./toast.js";

const OUTCOMES = ["dissuaded", "released", "unreachable"];
const ATTEMPTS = ["reached", "no_answer", "busy", "rejected"];
const FIELDS = { payer: "payer_phone", trusted_contact: "trusted_contact_phone" };
const SIGNALS = ["new_device", "remote_access_app", "on_call", "screen_sharing"];

function typologyTitle(c) {
  return pick(c.playbook?.title) ?? c.typology ?? t("kind.case");
}

function Hold({ c, now }) {
  const left = (Date.parse(c.hold_expires_at) - now) / 1000;
  return html`<span id="case-hold">${stamp(c.hold_expires_at)}
    <span class=${`badge ${left > 0 ? "alert" : "neutral"}`}>${left > 0 ? t("case.time_left", { t: span(left) }) : t("case.hold_over")}</span></span>`;
}

function Payment({ p }) {
  const signals = SIGNALS.filter((s) => p.device?.[s]);
  return html`
    <li class="case-payment">
      <dl class="facts">
        <dt>${t("case.amount")}</dt><dd><strong>${money(p.amount, p.currency)}</strong> · ${t(`paystatus.${p.status}`)}</dd>
        <dt>${t("case.paid_at")}</dt><dd>${stamp(p.paid_at ?? p.screened_at)}</dd>
        <dt>${t("case.channel")}</dt><dd>${p.channel ? t(`pay.${p.channel}`) : "—"}</dd>
        <dt>${t("case.memo")}</dt><dd class="memo">${p.memo || "—"}</dd>
        <dt>${t("case.payee")}</dt><dd>${p.payee_name || "—"}</dd>
        <dt>${t("case.payee_account")}</dt><dd>${p.payee_account}</dd>
        <dt>${t("case.payee_kind")}</dt><dd>${p.payee_kind ? t(`payee.${p.payee_kind}`) : "—"}</dd>
        <dt>${t("case.payee_age")}</dt><dd>${p.payee_age_s == null ? "—" : p.payee_age_s < 60 ? t("case.payee_new") : span(p.payee_age_s)}</dd>
        <dt>${t("case.device")}</dt><dd>${signals.length ? signals.map((s) => html`<span class="badge alert">${t(`device.${s}`)}</span> `) : t("case.device_none")}</dd>
      </dl>
    </li>`;
}

function Contact({ c, onChanged }) {
  const [shown, setShown] = useState({});
  const [dial, setDial] = useState(null);
  const [busy, run] = useAction();
  const targets = Object.keys(FIELDS).filter((target) => (target === "payer" ? c.payer?.phone : c.payer?.trusted_contact));
  async function reveal(target) {
    await run(async () => {
      try {
        const got = await call("POST", `/api/v1/cases/${c.id}/reveal`, { field: FIELDS[target] });
        setShown((was) => ({ ...was, [target]: got }));
      } catch (error) {
        say(`${t("error.generic")}: ${problemText(error)}`, true);
      }
    });
  }
  async function ring(target) {
    // The number is revealed (audited) for this call, then dialled: a tel: link on the agent's phone, or the
    // centre's telephony platform ringing the agent's extension first.
    await run(async () => {
      try {
        const got = shown[target] ?? (await call("POST", `/api/v1/cases/${c.id}/reveal`, { field: FIELDS[target] }));
        setShown((was) => ({ ...was, [target]: got }));
        const placed = await call("POST", `/api/v1/cases/${c.id}/call`, { target });
        setDial({ ...placed, who: `${got.name} · ${got.phone}` });
        onChanged();
      } catch (error) {
        say(`${t("error.generic")}: ${problemText(error)}`, true);
      }
    });
  }
  const masked = { payer: c.payer?.phone, trusted_contact: c.payer?.trusted_contact?.phone };
  const names = { payer: c.payer?.name, trusted_contact: c.payer?.trusted_contact?.name };
  return html`
    <section aria-labelledby="case-call" class="case-contact">
      <h3 id="case-call">${t("case.call")}</h3>
      <ul class="list compact">
        ${targets.map((target) => html`
          <li data-target=${target}>
            <span>${names[target]} · <span class="phone">${shown[target]?.phone ?? masked[target]}</span>
              ${shown[target] && html` <span class="muted">${t("case.revealed")}</span>`}</span>
            <span class="button-row">
              ${!shown[target] && html`<button type="button" disabled=${busy} data-reveal=${target} onClick=${() => reveal(target)}>${t("case.reveal")}</button>`}
              <button type="button" class="primary" disabled=${busy} data-call=${target} onClick=${() => ring(target)}>${t(`case.call_${target}`)}</button>
            </span>
          </li>`)}
      </ul>
      <p id="case-call-result" class="muted" aria-live="polite">
        ${dial && (dial.link
          ? html`<a href=${dial.link} class="call-link">${t("case.dial")} ${dial.who}</a>`
          : dial.placed ? `${t("case.ringing")} ${dial.who}` : `${t("error.generic")}: ${dial.error ?? ""}`)}
      </p>
    </section>`;
}

function Attempts({ c, open, onChanged }) {
  const [note, setNote] = useState("");
  const [busy, run] = useAction();
  async function record(result) {
    await run(async () => {
      try {
        await call("POST", `/api/v1/cases/${c.id}/contact-attempts`, note.trim() ? { result, note: note.trim() } : { result });
        setNote("");
        say(t("callback.recorded", { r: t(`attempt.${result}`) }));
        await onChanged();
      } catch (error) {
        say(`${t("error.generic")}: ${problemText(error)}`, true);
      }
    });
  }
  return html`
    <section aria-labelledby="case-attempts">
      <h3 id="case-attempts">${t("case.attempts")}</h3>
      ${c.contact_attempts.length
        ? html`<ul id="case-attempt-list" class="list compact">${c.contact_attempts.map((a) => html`
            <li>${stamp(a.at)} · ${t(`attempt.${a.result}`)}${a.note ? ` · ${a.note}` : ""}</li>`)}</ul>`
        : html`<p class="muted">${t("case.attempts_empty")}</p>`}
      <p><span class="muted">${t("case.next_due")}:</span> <span id="case-next-due">${c.next_contact_due_at ? stamp(c.next_contact_due_at) : t("case.next_due_none")}</span></p>
      ${open && html`
        <label for="attempt-note">${t("case.attempt_note")}</label>
        <input id="attempt-note" maxlength="2000" value=${note} onInput=${(e) => setNote(e.currentTarget.value)} />
        <div class="button-row" role="group" aria-label=${t("case.record_attempt")}>
          ${ATTEMPTS.map((result) => html`<button type="button" disabled=${busy} onClick=${() => record(result)}>${t(`attempt.${result}`)}</button>`)}
        </div>`}
    </section>`;
}

function Outcome({ c, onChanged }) {
  const [note, setNote] = useState("");
  const [busy, run] = useAction();
  const reached = c.contact_attempts.some((a) => a.result === "reached");
  async function resolve(outcome) {
    await run(async () => {
      try {
        const body = note.trim() ? { outcome, note: note.trim() } : { outcome };
        const done = await call("POST", `/api/v1/cases/${c.id}/resolve`, body);
        say(done.status === "pending_approval" ? t("case.pending_approval") : t("case.done", { o: t(`case.${outcome}`) }));
        await onChanged();
      } catch (error) {
        say(`${t("error.generic")}: ${problemText(error)}`, true);
      }
    });
  }
  const blocked = { released: !reached || !note.trim(), dissuaded: false, unreachable: false };
  return html`
    <section aria-labelledby="case-outcome">
      <h3 id="case-outcome">${t("case.outcome")}</h3>
      <label for="case-note">${t("case.note")}</label>
      <textarea id="case-note" rows="2" maxlength="2000" value=${note} onInput=${(e) => setNote(e.currentTarget.value)}></textarea>
      <p class="muted" id="release-rule">${t("case.release_rule")}</p>
      <div class="button-row">
        ${OUTCOMES.map((outcome) => html`<button type="button" data-outcome=${outcome}
          class=${outcome === "dissuaded" ? "primary" : outcome === "released" ? "secondary" : null}
          disabled=${busy || blocked[outcome]} aria-describedby=${outcome === "released" ? "release-rule" : null}
          onClick=${() => resolve(outcome)}>${t(`case.${outcome}`)}</button>`)}
      </div>
    </section>`;
}

function Family({ alerts }) {
  return html`
    <section aria-labelledby="case-family">
      <h3 id="case-family">${t("case.family")}</h3>
      ${alerts.length
        ? html`<ul id="case-alerts" class="list compact">${alerts.map((a) => html`
            <li>${stamp(a.at)} · ${a.contact_name} · <span class=${`badge ${a.delivered ? "ok" : "alert"}`}>${a.delivered ? t("case.family_delivered") : t("case.family_failed")}</span></li>`)}</ul>`
        : html`<p id="case-alerts" class="muted">${t("case.family_none")}</p>`}
    </section>`;
}

export function CaseView({ id, focus, onLoaded, onChanged }) {
  const [c, setCase] = useState(null);
  const [failed, setFailed] = useState(null);
  const now = useNow();
  const title = useRef(null);
  const focused = useRef(false);
  async function load() {
    try {
      const loaded = await call("GET", `/api/v1/cases/${id}`);
      setCase(loaded);
      setFailed(null);
      onLoaded?.(loaded);
    } catch (error) {
      setFailed(problemText(error));
    }
  }
  async function changed() {
    await load();
    onChanged?.();
  }
  useEffect(() => {
    load();
    return listen((name, data) => {
      if (name.startsWith("case.") && data?.case_id === id) load();
    });
  }, [id]);
  useEffect(() => {
    if (c && focus && !focused.current) {
      focused.current = true;
      title.current?.focus();
    }
  }, [c]);
  if (!c) {
    return html`<div id="case-view" class="work-view">${failed
      ? html`<div class="load-failed" role="alert"><p>${t("work.load_failed")} ${failed}</p><button type="button" onClick=${load}>${t("work.retry")}</button></div>`
      : html`<p class="muted">${t("work.loading")}</p>`}</div>`;
  }
  const open = c.status === "open";
  const pending = c.status === "pending_approval";
  const ask = pick(c.playbook?.ask) ?? [];
  const explain = pick(c.playbook?.explain) ?? [];
  return html`
    <div id="case-view" class="work-view case-view" lang=${lang() === "en" ? "en" : "zh-CN"}>
      <header class="work-head">
        <h2 id="case-title" tabindex="-1" ref=${title}>${t("kind.case")} · ${typologyTitle(c)}</h2>
        <p class="muted">${t("case.status")}: <span id="case-status" class=${`badge ${open || pending ? "alert" : "ok"}`}>${open ? t("case.open") : pending ? t("case.pending_approval") : t(`case.${c.outcome}`)}</span>
          ${c.elderly && html` <span class="badge care">${t("customer.elderly")}</span>`}</p>
      </header>
      <div class="case-top">
        <section aria-labelledby="case-payment" class="case-money">
          <h3 id="case-payment">${t("case.payment")}</h3>
          <p class="amount">${money(c.amount, c.currency)}</p>
          <dl class="facts">
            <dt>${t("case.hold_until")}</dt><dd><${Hold} c=${c} now=${now} /></dd>
            <dt>${t("case.score")}</dt><dd id="case-score">${c.score}</dd>
            <dt>${t("case.rule_set")}</dt><dd id="case-rules">${c.rule_set_version}</dd>
            <dt>${t("case.payer")}</dt><dd>${c.payer ? c.payer.name : "—"}</dd>
          </dl>
        </section>
        <section class="playbook" aria-labelledby="case-playbook">
          <h3 id="case-playbook">${t("case.playbook")}: ${typologyTitle(c)}</h3>
          <p class="muted">${t("case.ask")}</p>
          <ol>${ask.map((line) => html`<li>${line}</li>`)}</ol>
          <p class="muted">${t("case.explain")}</p>
          <ol>${explain.map((line) => html`<li>${line}</li>`)}</ol>
        </section>
      </div>
      <section aria-labelledby="case-reasons">
        <h3 id="case-reasons">${t("case.reasons")}</h3>
        <ul>${c.reasons.map((r) => html`<li>${lang() === "en" ? r.message_en : r.message_zh}</li>`)}</ul>
      </section>
      <section aria-labelledby="case-decision">
        <h3 id="case-decision">${t("case.decision")} · ${t("case.payments")}</h3>
        <ul id="case-payments" class="list">${c.payments.map((p) => html`<${Payment} key=${p.payment_id} p=${p} />`)}</ul>
      </section>
      ${(open || pending) && html`<${Contact} c=${c} onChanged=${load} />`}
      <${Attempts} c=${c} open=${open} onChanged=${changed} />
      ${open && html`<${Outcome} c=${c} onChanged=${changed} />`}
      <${Family} alerts=${c.alerts} />
    </div>`;
}
