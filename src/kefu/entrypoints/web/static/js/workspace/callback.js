// A callback: its window (with the date), the number, the attempts, and the result of this call.

import { t } from "../i18n.js";
import { html, useEffect, useRef, useState } from "../ui.js";
import { useAction } from "./hooks.js";
import { call, problemText, stamp } from "./session.js";
import { say } from "./toast.js";

const RESULTS = ["reached", "no_answer", "busy", "wrong_number"];

export function CallbackView({ id, focus, onLoaded }) {
  const [cb, setCb] = useState(null);
  const [failed, setFailed] = useState(null);
  const [busy, run] = useAction();
  const title = useRef(null);
  async function load() {
    try {
      const loaded = await call("GET", `/api/v1/callbacks/${id}`);
      setCb(loaded);
      setFailed(null);
      onLoaded?.(loaded);
    } catch (error) {
      setFailed(problemText(error));
    }
  }
  useEffect(() => { load(); }, [id]);
  useEffect(() => { if (cb && focus) title.current?.focus(); }, [cb === null]);
  async function record(result) {
    await run(async () => {
      try {
        await call("POST", `/api/v1/callbacks/${id}/attempts`, { result });
        say(t("callback.recorded", { r: t(`attempt.${result}`) }));
        await load();
      } catch (error) {
        say(`${t("error.generic")}: ${problemText(error)}`, true);
      }
    });
  }
  if (!cb) {
    return html`<div id="case-view" class="work-view">${failed
      ? html`<div class="load-failed" role="alert"><p>${t("work.load_failed")} ${failed}</p><button type="button" onClick=${load}>${t("work.retry")}</button></div>`
      : html`<p class="muted">${t("work.loading")}</p>`}</div>`;
  }
  const open = !["completed", "failed", "cancelled"].includes(cb.status);
  return html`
    <div id="case-view" class="work-view">
      <header class="work-head">
        <h2 id="case-title" tabindex="-1" ref=${title}>${t("kind.callback")} · ${cb.reason}</h2>
        <p class="muted">${t("callback.window")}: ${stamp(cb.window_start)} – ${stamp(cb.window_end)} · <span class="badge neutral">${t(`callback.status.${cb.status}`)}</span>
          ${cb.care && html` <span class="badge care">${t("care.badge")}</span>`}</p>
      </header>
      <dl class="facts"><dt>${t("customer.phone")}</dt><dd>${cb.phone ?? "—"}</dd></dl>
      <h3>${t("callback.attempts")}</h3>
      ${cb.attempts.length
        ? html`<ul class="list compact">${cb.attempts.map((a) => html`<li>${stamp(a.at)} · ${t(`attempt.${a.result}`)}${a.note ? ` · ${a.note}` : ""}</li>`)}</ul>`
        : html`<p class="muted">${t("case.attempts_empty")}</p>`}
      ${open && html`<div class="button-row" role="group" aria-label=${t("callback.attempts")}>
        ${RESULTS.map((r) => html`<button type="button" disabled=${busy} onClick=${() => record(r)}>${t(`attempt.${r}`)}</button>`)}</div>`}
    </div>`;
}
