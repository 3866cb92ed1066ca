// The wrap-up after a contact, visible with the time left, ended early or extended by the agent.

import { t } from "../i18n.js";
import { html } from "../ui.js";
import { useAction, useNow } from "./hooks.js";
import { call, problemText, span } from "./session.js";
import { say } from "./toast.js";

export function WrapUp({ agentId, until, onChange }) {
  const now = useNow();
  const [busy, run] = useAction();
  const ends = Object.values(until ?? {}).map((iso) => Date.parse(iso)).filter((at) => at > now);
  if (!ends.length) return null;
  const left = (Math.max(...ends) - now) / 1000;
  async function act(path, body, done) {
    await run(async () => {
      try {
        const out = await call("POST", `/api/v1/agents/${agentId}/wrap-up/${path}`, body);
        onChange(out.wrap_up_until);
        if (done) say(done);
      } catch (error) {
        say(`${t("error.generic")}: ${problemText(error)}`, true);
      }
    });
  }
  return html`
    <section id="wrap-up" class="card wrap-up" aria-labelledby="wrap-up-title">
      <h2 id="wrap-up-title">${t("wrapup.title")}</h2>
      <p class="wrap-up-left">${t("wrapup.left", { t: span(left) })}</p>
      <div class="button-row">
        <button type="button" class="primary" disabled=${busy} onClick=${() => act("end", undefined, t("wrapup.ended"))}>${t("wrapup.end")}</button>
        <button type="button" disabled=${busy} onClick=${() => act("extend", { seconds: 60 })}>${t("wrapup.extend")}</button>
      </div>
    </section>`;
}
