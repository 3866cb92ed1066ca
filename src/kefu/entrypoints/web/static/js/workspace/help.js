// The keyboard shortcuts, in a modal dialog (? opens and closes it, Esc closes it).

import { t } from "../i18n.js";
import { html, useEffect, useRef } from "../ui.js";

const KEYS = [
  ["?", "key.help"], ["A", "key.accept"], ["D", "key.decline"], ["G", "key.presence"], ["J", "key.next"],
  ["K", "key.prev"], ["R", "key.reply"], ["Ctrl+Enter", "key.send"], ["E", "key.resolve"], ["L", "key.lang"],
  ["Esc", "key.escape"],
];

export function Help({ open, onClose }) {
  const dialog = useRef(null);
  useEffect(() => {
    const el = dialog.current;
    if (!el) return;
    if (open && !el.open) el.showModal();
    if (!open && el.open) el.close();
  }, [open]);
  return html`
    <dialog id="help" aria-labelledby="help-title" ref=${dialog} onClose=${onClose}>
      <h2 id="help-title">${t("help.title")}</h2>
      <table class="keys"><tbody>
        ${KEYS.map(([k, key]) => html`<tr><th scope="row">${k.split("+").map((part, i) => html`${i ? "+" : ""}<kbd>${part}</kbd>`)}</th><td>${t(key)}</td></tr>`)}
      </tbody></table>
      <form method="dialog"><button class="primary">${t("help.close")}</button></form>
    </dialog>`;
}
