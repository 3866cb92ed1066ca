// Canned responses in the reply box: typing "/" and a shortcut lists the matching ones (in the customer's
// language); Enter or Tab puts the chosen text in the box with {customer_name} and {agent_name} filled in.

import { t } from "../i18n.js";
import { html } from "../ui.js";

export function slashQuery(text) {
  const found = /^\/([a-z0-9_-]*)$/i.exec(text);
  return found ? found[1].toLowerCase() : null;
}

export function matching(responses, query) {
  if (query === null) return [];
  return responses.filter((r) => r.shortcut.startsWith(query) || r.title.includes(query)).slice(0, 8);
}

export function fill(body, vars) {
  return body.replace(/\{(customer_name|agent_name)\}/g, (_, name) => vars[name] ?? "");
}

export function CannedList({ options, selected, onPick }) {
  if (!options.length) return null;
  return html`
    <ul id="canned-list" class="canned" role="listbox" aria-label=${t("canned.title")}>
      ${options.map((r, i) => html`
        <li id=${`canned-${r.id}`} role="option" aria-selected=${String(i === selected)}
          class=${i === selected ? "selected" : ""} onMouseDown=${(e) => { e.preventDefault(); onPick(r); }}>
          <kbd>/${r.shortcut}</kbd> <strong>${r.title}</strong> <span class="muted">${r.body}</span>
        </li>`)}
    </ul>`;
}
