// The customer beside the work: name and care badges, care guidance, facts (masked phone), contact history
// with dates (each one opens), and open risk cases when the agent may see cases (else the part is hidden).

import { money, t } from "../i18n.js";
import { html, useEffect, useState } from "../ui.js";
import { call, maybe, stamp } from "./session.js";

function dispositionText(code) {
  const key = `disp.${code}`;
  return t(key) === key ? code : t(key);
}

function age(iso) {
  const birth = new Date(iso);
  const now = new Date();
  let years = now.getFullYear() - birth.getFullYear();
  if (now.getMonth() < birth.getMonth() || (now.getMonth() === birth.getMonth() && now.getDate() < birth.getDate())) years -= 1;
  return years;
}

export function CustomerPanel({ customerId, care, currentId, onOpenConversation }) {
  const [customer, setCustomer] = useState(null);
  const [history, setHistory] = useState([]);
  const [risk, setRisk] = useState([]);
  useEffect(() => {
    let live = true;
    setCustomer(null);
    if (!customerId) return undefined;
    (async () => {
      try {
        const found = await call("GET", `/api/v1/customers/${customerId}`);
        if (!live) return;
        setCustomer(found);
        const page = await call("GET", `/api/v1/conversations?customer_id=${encodeURIComponent(customerId)}&limit=50`);
        if (live) setHistory(page.items.slice().reverse());
        // Optional: agents without the anti-fraud skill may not list cases; the part stays hidden.
        const cases = await maybe("/api/v1/cases?status=open&limit=200");
        if (live) setRisk(cases ? cases.items.filter((c) => c.customer_id === customerId) : []);
      } catch {
        // The work itself is on screen; the side panel stays empty rather than stopping anything.
      }
    })();
    return () => { live = false; };
  }, [customerId]);

  if (!customer) {
    return html`<aside class="col col-right card" aria-labelledby="customer-title">
      <h2 id="customer-title">${t("customer.title")}</h2>
      <p id="customer-none" class="muted">${customerId ? t("work.loading") : t("customer.none")}</p></aside>`;
  }
  const others = history.filter((c) => c.id !== currentId);
  const facts = [
    ["customer.phone", customer.phone ?? "—"],
    ["customer.language", t(`lang.${customer.language}`)],
    ["customer.age", customer.birth_date ? age(customer.birth_date) : "—"],
    ["customer.home_site", customer.home_site ?? "—"],
  ];
  if (customer.trusted_contact) {
    const tc = customer.trusted_contact;
    facts.push(["customer.trusted", `${tc.name}（${tc.relation}）${tc.phone}`]);
  }
  return html`
    <aside class="col col-right card" aria-labelledby="customer-title">
      <h2 id="customer-title">${t("customer.title")}</h2>
      <div id="customer">
        <p class="customer-name"><strong id="customer-name">${customer.name}</strong>
          <span id="customer-badges">${customer.elderly && html`<span class="badge care">${t("customer.elderly")}</span>`}
            ${customer.vulnerable && html` <span class="badge care">${t("customer.vulnerable")}</span>`}</span></p>
        ${(customer.elderly || customer.vulnerable || care) && html`
          <section id="care" class="care-box" aria-labelledby="care-title">
            <h3 id="care-title">${t("care.title")}</h3>
            <ol>${[1, 2, 3, 4, 5, 6].map((n) => html`<li>${t(`care.${n}`)}</li>`)}</ol>
          </section>`}
        <dl id="customer-facts" class="facts">${facts.map(([k, v]) => html`<dt>${t(k)}</dt><dd>${v}</dd>`)}</dl>
        <h3>${t("customer.history")}</h3>
        <ul id="history" class="list compact">
          ${others.map((c) => html`<li><button type="button" class="link-button" onClick=${() => onOpenConversation(c.id, c.subject)}>
            ${stamp(c.created_at)} · ${c.subject || t("conv.subject_none")}</button>
            ${" "}<span class="badge neutral">${t(`conv.status.${c.status}`)}</span>${c.disposition ? ` · ${dispositionText(c.disposition)}` : ""}</li>`)}
        </ul>
        ${!others.length && html`<p id="history-empty" class="muted">${t("customer.history_empty")}</p>`}
        ${risk.length > 0 && html`<section id="risk" aria-labelledby="risk-title">
          <h3 id="risk-title">${t("customer.cases")}</h3>
          <ul id="risk-cases" class="list compact">${risk.map((c) => html`<li><strong>${money(c.amount, c.currency)}</strong> · ${c.payee_name} · ${stamp(c.opened_at)}</li>`)}</ul>
        </section>`}
      </div>
    </aside>`;
}
