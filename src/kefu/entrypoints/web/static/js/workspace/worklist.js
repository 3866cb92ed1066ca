// The agent's open work as a list of tabs: conversations, cases and callbacks, the active one highlighted,
// with the customer's name, the last message and unread counts; new customer messages move an item up.

import { money, t } from "../i18n.js";
import { when } from "./session.js";
import { html } from "../ui.js";

export function itemKey(item) {
  return `${item.kind}:${item.id}`;
}

function Item({ item, active, onOpen, onClose }) {
  const key = itemKey(item);
  return html`
    <li class="work-item">
      <button type="button" class=${`item kind-${item.kind}`} data-key=${key} data-kind=${item.kind}
        data-id=${item.id} aria-current=${active ? "true" : null} onClick=${() => onOpen(item)}>
        <span class="item-head">
          <span class="item-title">${item.kind === "case" && item.amount ? html`<strong>${money(item.amount, item.currency)}</strong>` : item.title}</span>
          ${item.unread > 0 && html`<span class="badge unread" aria-label=${t("tabs.unread", { n: item.unread })}>${item.unread}</span>`}
          ${item.care && html`<span class="badge care">${t("care.badge")}</span>`}
        </span>
        <span class="meta">${[t(`kind.${item.kind}`), item.customer, item.at && when(item.at)].filter(Boolean).join(" · ")}</span>
        ${item.last && html`<span class="last">${item.last}</span>`}
      </button>
      ${item.closable && html`<button type="button" class="ghost close-tab" aria-label=${`${t("work.close_tab")} ${item.title ?? ""}`}
        onClick=${() => onClose(item)}>×</button>`}
    </li>`;
}

export function WorkList({ items, active, onOpen, onClose }) {
  return html`
    <section class="card" aria-labelledby="mine-title">
      <h2 id="mine-title">${t("tabs.title")}</h2>
      <ul id="worklist" class="list">
        ${items.map((item) => html`<${Item} key=${itemKey(item)} item=${item} active=${active === itemKey(item)}
          onOpen=${onOpen} onClose=${onClose} />`)}
      </ul>
      ${!items.length && html`<p id="mine-empty" class="muted">${t("tabs.empty")}</p>`}
    </section>`;
}
