// Offers, most urgent first: a case (money leaving a scam victim) in red with its amount, typology, the
// payer's age band and wait; then care contacts; then voice before chat; oldest first within each.

import { t, money } from "../i18n.js";
import { html } from "../ui.js";
import { useNow } from "./hooks.js";
import { span, pick } from "./session.js";

function rank(offer) {
  if (offer.kind === "case") return 0;
  if (offer.care) return 1;
  if (offer.channel === "voice" || offer.kind === "callback") return 2;
  return 3;
}

export function byUrgency(offers) {
  return [...offers].sort((a, b) => rank(a) - rank(b) || Date.parse(a.created_at) - Date.parse(b.created_at));
}

export function offerTitle(offer, queueName) {
  return `${t(`kind.${offer.kind}`)} · ${t(`channel.${offer.channel}`)} · ${queueName(offer.queue)}`;
}

export function caseLine(summary) {
  if (!summary) return "";
  return t("offers.case_line", {
    amount: money(summary.amount, summary.currency),
    typology: pick(summary.typology_title) ?? summary.typology ?? t("kind.case"),
    age: summary.age_band,
  });
}

function Offer({ offer, summary, queueName, onAccept, onDecline, busy, now }) {
  const total = Math.max(1, (Date.parse(offer.expires_at) - Date.parse(offer.created_at)) / 1000);
  const left = Math.max(0, Math.ceil((Date.parse(offer.expires_at) - now) / 1000));
  const waited = Math.max(0, (now - Date.parse(offer.created_at)) / 1000);
  const title = offerTitle(offer, queueName);
  const what = offer.kind === "case" && summary ? `${title} · ${caseLine(summary)}` : title;
  const kind = offer.kind === "case" ? " urgent" : offer.care ? " care" : "";
  return html`
    <li class=${`offer${kind}`} data-offer=${offer.id} data-kind=${offer.kind}>
      <div class="offer-title">${title}
        ${offer.care && html`<span class="badge care">${t("care.badge")}</span>`}</div>
      ${offer.kind === "case" && html`<p class="offer-case">${summary ? caseLine(summary) : t("work.loading")}</p>`}
      <span class=${`countdown${left <= 5 ? " urgent" : ""}`}>${t("offers.seconds_left", { n: left })}</span>
      <span class="waited"> · ${t("offers.waited", { t: span(waited) })}</span>
      <progress max=${total} value=${left} aria-hidden="true"></progress>
      <div class="offer-actions">
        <button type="button" class=${offer.kind === "case" ? "danger-solid" : "primary"} disabled=${busy}
          aria-label=${t("offers.accept_what", { what })} onClick=${() => onAccept(offer)}>${t("offers.accept")}</button>
        <button type="button" disabled=${busy} aria-label=${t("offers.decline_what", { what })}
          onClick=${() => onDecline(offer)}>${t("offers.decline")}</button>
      </div>
    </li>`;
}

export function Offers({ offers, summaries, queueName, onAccept, onDecline, busy, noAgent }) {
  const now = useNow();
  const urgent = offers.find((o) => o.kind === "case");
  return html`
    <section class="card" aria-labelledby="offers-title">
      <h2 id="offers-title">${t("offers.title")}${offers.length ? ` (${offers.length})` : ""}</h2>
      ${noAgent && html`<p id="no-agent" class="muted">${t("presence.no_agent")}</p>`}
      <div class="sr-only" role="alert" id="offers-urgent">${urgent ? `${t("kind.case")} · ${caseLine(summaries[urgent.subject_id])}` : ""}</div>
      <ul id="offers" class="offers">
        ${offers.map((o) => html`<${Offer} key=${o.id} offer=${o} summary=${summaries[o.subject_id]}
          queueName=${queueName} onAccept=${onAccept} onDecline=${onDecline} busy=${busy} now=${now} />`)}
      </ul>
      ${!offers.length && html`<p id="offers-empty" class="muted">${t("offers.empty")}</p>`}
    </section>`;
}
