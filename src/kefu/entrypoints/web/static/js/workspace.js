// The agent workspace: sign-in, presence, offers with a countdown, my conversations, the conversation with
// its customer, resolve; intervention cases and callbacks when the server has those APIs (see work.js).

import { api, ApiError, optional, serverNow, signIn, signOut, token } from "./api.js";
import { $, fill, h, toast, typing } from "./dom.js";
import { apply, clock, lang, money, setLang, t } from "./i18n.js";
import { connect } from "./stream.js";
import * as work from "./work.js";

const REFRESH_MS = 15000; // a safety net beside the pushed events; never faster than every 5 s

const state = {
  me: null,
  agent: null,
  offers: [],
  mine: [],
  current: null, // { kind: "conversation" | "case" | "callback", id }
  conversation: null,
  live: false,
  stop: null,
  queues: {}, // id -> name
};

function queueName(id) {
  return state.queues[id] ?? id;
}

function fail(error) {
  if (error instanceof ApiError && error.status === 401) return showLogin();
  const detail = error instanceof ApiError ? error.message : t("error.network");
  toast(`${t("error.generic")}: ${detail}`, true);
}

// == sign-in =====================================================================================
function showLogin() {
  signOut();
  if (state.stop) state.stop();
  state.stop = null;
  $("workspace").hidden = true;
  for (const id of ["presence", "logout", "live", "to-wallboard", "help-open"]) $(id).hidden = true;
  $("who").textContent = "";
  $("login").hidden = false;
  $("username").focus();
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = event.submitter || $("login-form").querySelector("button");
  $("login-error").textContent = "";
  button.disabled = true;
  button.textContent = t("login.busy");
  try {
    await signIn($("username").value.trim(), $("password").value);
    $("password").value = "";
    await start();
  } catch (error) {
    $("login-error").textContent =
      error instanceof ApiError && error.status < 500 ? t("login.failed") : t("error.network");
  } finally {
    button.disabled = false;
    button.textContent = t("login.submit");
  }
});

$("logout").addEventListener("click", showLogin);

// == start =======================================================================================
async function start() {
  try {
    state.me = await api("GET", "/api/v1/auth/me");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return showLogin();
    return fail(error);
  }
  $("login").hidden = true;
  $("workspace").hidden = false;
  $("logout").hidden = false;
  $("help-open").hidden = false;
  $("who").textContent = state.me.username;
  $("to-wallboard").hidden = !["supervisor", "admin"].includes(state.me.role);
  $("no-agent").hidden = Boolean(state.me.agent_id);
  $("presence").hidden = !state.me.agent_id;
  $("main").focus();
  try {
    for (const q of await api("GET", "/api/v1/queues")) state.queues[q.id] = q.name;
  } catch {
    // Names are a nicety: the ids still show.
  }
  await Promise.all([loadAgent(), loadOffers(), loadMine(), work.loadCases(state, openCase)]);
  state.stop = connect({ onEvent, onState: setLive });
  setInterval(refresh, REFRESH_MS);
  setInterval(tickOffers, 1000);
}

function setLive(on) {
  state.live = on;
  const el = $("live");
  el.hidden = false;
  el.classList.toggle("on", on);
  el.textContent = t(on ? "live.on" : "live.off");
}

async function refresh() {
  if (!state.me || $("workspace").hidden) return;
  try {
    await Promise.all([loadAgent(), loadOffers(), loadMine()]);
  } catch (error) {
    fail(error);
  }
}

function onEvent(name, data) {
  const mineAgent = state.me?.agent_id;
  if (name.startsWith("offer.")) loadOffers().catch(fail);
  if (name.startsWith("conversation.") || name === "task.assigned") loadMine().catch(fail);
  if ((name === "agent.presence_changed" || name === "agent.set_away") && data?.agent_id === mineAgent) {
    loadAgent().catch(fail);
  }
  if (name === "message.posted" && state.current?.kind === "conversation" &&
      data?.conversation_id === state.current.id) {
    reloadConversation().catch(fail);
  }
  if (name.startsWith("case.") || name === "task.assigned") work.loadCases(state, openCase).catch(fail);
}

// == presence ====================================================================================
async function loadAgent() {
  if (!state.me.agent_id) return;
  state.agent = await api("GET", `/api/v1/agents/${state.me.agent_id}`);
  renderPresence();
}

function renderPresence() {
  for (const button of $("presence").querySelectorAll("button")) {
    const on = state.agent?.presence === button.dataset.presence;
    button.setAttribute("aria-checked", String(on));
    button.tabIndex = on ? 0 : -1;
  }
}

async function setPresence(presence) {
  if (!state.me?.agent_id) return;
  try {
    state.agent = await api("PUT", `/api/v1/agents/${state.me.agent_id}/presence`, { presence });
    renderPresence();
    toast(t(`presence.${presence}`));
    await loadOffers();
  } catch (error) {
    fail(error);
  }
}

$("presence").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-presence]");
  if (button) setPresence(button.dataset.presence);
});

$("presence").addEventListener("keydown", (event) => {
  // A radio group: arrow keys move the choice, as screen-reader users expect.
  const order = ["available", "away", "offline"];
  const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
  if (!step) return;
  event.preventDefault();
  const at = order.indexOf(state.agent?.presence ?? "offline");
  const next = order[(at + step + order.length) % order.length];
  setPresence(next).then(() => $("presence").querySelector(`[data-presence="${next}"]`).focus());
});

// == offers ======================================================================================
async function loadOffers() {
  if (!state.me.agent_id) return;
  state.offers = await api("GET", `/api/v1/agents/${state.me.agent_id}/offers`);
  renderOffers();
}

function offerTitle(offer) {
  return `${t(`kind.${offer.kind}`)} · ${t(`channel.${offer.channel}`)} · ${queueName(offer.queue)}`;
}

function renderOffers() {
  const list = $("offers");
  const known = new Set([...list.children].map((li) => li.dataset.offer));
  list.replaceChildren(
    ...state.offers.map((offer) => {
      const total = (Date.parse(offer.expires_at) - Date.parse(offer.created_at)) / 1000;
      return h(
        "li",
        { class: `offer${offer.care ? " care" : ""}`, dataset: { offer: offer.id } },
        h(
          "div",
          { class: "offer-title" },
          offerTitle(offer),
          offer.care ? h("span", { class: "badge care", text: t("care.badge") }) : null,
        ),
        h("span", { class: "countdown", dataset: { expires: offer.expires_at } }),
        h("progress", { max: String(Math.max(total, 1)), value: String(total), "aria-hidden": "true" }),
        h(
          "div",
          { class: "offer-actions" },
          h("button", {
            class: "primary", type: "button", "aria-keyshortcuts": "a", text: t("offers.accept"),
            onclick: () => accept(offer),
          }),
          h("button", {
            type: "button", "aria-keyshortcuts": "d", text: t("offers.decline"), onclick: () => decline(offer),
          }),
        ),
      );
    }),
  );
  $("offers-empty").hidden = state.offers.length > 0;
  const fresh = state.offers.filter((o) => !known.has(o.id));
  if (fresh.length) toast(t("offers.new", { what: offerTitle(fresh[0]) }));
  tickOffers();
}

function tickOffers() {
  for (const el of $("offers").querySelectorAll(".countdown")) {
    const left = Math.max(0, Math.ceil((Date.parse(el.dataset.expires) - serverNow()) / 1000));
    el.textContent = t("offers.seconds_left", { n: left });
    el.classList.toggle("urgent", left <= 5);
    const bar = el.nextElementSibling;
    if (bar) bar.value = left;
  }
}

async function accept(offer) {
  try {
    const decided = await api("POST", `/api/v1/offers/${offer.id}/accept`);
    toast(t("offers.accepted"));
    await Promise.all([loadOffers(), loadMine()]);
    const subject = decided.conversation_id || offer.subject_id;
    if (offer.kind === "conversation") await openConversation(subject);
    else if (offer.kind === "case") await openCase(subject);
    else await openCallback(subject);
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      toast(t("offers.expired"), true);
      return loadOffers();
    }
    fail(error);
  }
}

async function decline(offer) {
  try {
    await api("POST", `/api/v1/offers/${offer.id}/decline`);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 409)) fail(error);
  }
  await loadOffers().catch(fail);
}

// == my conversations ============================================================================
async function loadMine() {
  if (!state.me) return;
  const page = await api("GET", "/api/v1/conversations?status=assigned&limit=200");
  state.mine = page.items.filter((c) => !state.me.agent_id || c.agent_id === state.me.agent_id);
  renderMine();
}

function renderMine() {
  $("mine").replaceChildren(
    ...state.mine.map((c) =>
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button", class: "item", dataset: { conversation: c.id },
            "aria-current": state.current?.id === c.id ? "true" : null,
            onclick: () => openConversation(c.id),
          },
          h("span", {}, c.subject || t("conv.subject_none"), " ",
            c.care ? h("span", { class: "badge care", text: t("care.badge") }) : null),
          h("span", { class: "meta", text: `${t(`channel.${c.channel}`)} · ${queueName(c.queue)} · ${clock(c.updated_at)}` }),
        ),
      ),
    ),
  );
  $("mine-empty").hidden = state.mine.length > 0;
}

// == one conversation ============================================================================
function showView(which) {
  $("work-none").hidden = which !== null;
  $("conversation").hidden = which !== "conversation";
  $("case-view").hidden = which !== "case";
}

async function openConversation(id) {
  try {
    state.current = { kind: "conversation", id };
    state.conversation = await api("GET", `/api/v1/conversations/${id}`);
    showView("conversation");
    renderConversation();
    renderMine();
    await loadCustomer(state.conversation);
  } catch (error) {
    fail(error);
  }
}

async function reloadConversation() {
  if (state.current?.kind !== "conversation") return;
  state.conversation = await api("GET", `/api/v1/conversations/${state.current.id}`);
  renderConversation();
}

function renderConversation() {
  const c = state.conversation;
  $("work-title").textContent = c.subject || t("conv.subject_none");
  fill($("conv-meta"),
    `${t(`channel.${c.channel}`)} · ${queueName(c.queue)} · `,
    h("span", { class: "badge neutral", text: t(`conv.status.${c.status}`) }),
    c.care ? " " : null,
    c.care ? h("span", { class: "badge care", text: t("care.badge") }) : null,
  );
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  box.replaceChildren(
    ...c.messages.map((m) =>
      h(
        "li",
        { class: `msg ${m.sender}` },
        h("span", { class: "who", text: `${t(`sender.${m.sender}`)} · ${clock(m.created_at)}` }),
        h("p", { text: m.body }),
      ),
    ),
  );
  if (atBottom || c.messages.length < 8) box.scrollTop = box.scrollHeight;
  const open = c.status === "assigned";
  for (const el of $("reply-form").elements) el.disabled = !["queued", "assigned", "resolved"].includes(c.status);
  for (const el of $("resolve-form").elements) el.disabled = !open;
}

$("reply").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    $("reply-form").requestSubmit();
  }
});

$("reply-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = $("reply").value.trim();
  if (!body || state.current?.kind !== "conversation") return;
  try {
    await api("POST", `/api/v1/conversations/${state.current.id}/messages`, { body });
    $("reply").value = "";
    // Back to the reply box after a click on Send; never steal focus the agent has moved on with.
    if ($("reply-form").contains(document.activeElement)) $("reply").focus();
    await reloadConversation();
  } catch (error) {
    fail(error);
  }
});

$("resolve-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const disposition = $("disposition").value;
  if (!disposition) {
    $("disposition").focus();
    return toast(t("resolve.choose"), true);
  }
  try {
    const note = $("note").value.trim();
    await api("POST", `/api/v1/conversations/${state.current.id}/resolve`, {
      disposition, note: note || null,
    });
    toast(t("resolve.done"));
    $("disposition").value = "";
    $("note").value = "";
    state.current = null;
    showView(null);
    $("customer").hidden = true;
    $("customer-none").hidden = false;
    await loadMine();
    ($("mine").querySelector("button") || $("offers").querySelector("button") || $("main")).focus();
  } catch (error) {
    fail(error);
  }
});

// == the customer ================================================================================
async function loadCustomer(conversation) {
  const customer = await api("GET", `/api/v1/customers/${conversation.customer_id}`);
  $("customer-none").hidden = true;
  $("customer").hidden = false;
  $("customer-name").textContent = customer.name;
  fill($("customer-badges"),
    customer.elderly ? h("span", { class: "badge care", text: t("customer.elderly") }) : null,
    customer.vulnerable ? h("span", { class: "badge care", text: t("customer.vulnerable") }) : null,
  );
  $("care").hidden = !(customer.elderly || customer.vulnerable || conversation.care);
  const age = customer.birth_date ? ageOf(customer.birth_date) : null;
  const facts = [
    ["customer.phone", customer.phone ?? "—"],
    ["customer.language", t(`lang.${customer.language}`)],
    ["customer.age", age ?? "—"],
    ["customer.home_site", customer.home_site ?? "—"],
  ];
  if (customer.trusted_contact) {
    const tc = customer.trusted_contact;
    facts.push(["customer.trusted", `${tc.name}（${tc.relation}）${tc.phone}`]);
  }
  $("customer-facts").replaceChildren(...facts.flatMap(([k, v]) => [h("dt", { text: t(k) }), h("dd", { text: v })]));
  const history = await api("GET", `/api/v1/conversations?customer_id=${encodeURIComponent(customer.id)}&limit=50`);
  const others = history.items.filter((c) => c.id !== conversation.id).reverse();
  $("history").replaceChildren(
    ...others.map((c) =>
      h("li", {}, `${clock(c.created_at)} · ${c.subject || t("conv.subject_none")} · `,
        h("span", { class: "badge neutral", text: t(`conv.status.${c.status}`) }),
        c.disposition ? ` · ${dispositionText(c.disposition)}` : null),
    ),
  );
  $("history-empty").hidden = others.length > 0;
  await loadRisk(customer.id);
}

async function loadRisk(customerId) {
  // Open intervention cases of this customer (the case list has no customer filter: read the open ones).
  const found = await optional("/api/v1/cases?status=open&limit=200");
  const risky = found.present ? found.data.items.filter((c) => c.customer_id === customerId) : [];
  $("risk").hidden = risky.length === 0;
  fill($("risk-cases"),
    risky.map((c) => h("li", {}, h("strong", { text: money(c.amount, c.currency) }), ` · ${c.payee_name} · ${clock(c.opened_at)}`)));
}

function dispositionText(code) {
  const key = `disp.${code}`;
  return t(key) === key ? code : t(key);
}

function ageOf(iso) {
  const birth = new Date(iso);
  const now = new Date();
  let age = now.getFullYear() - birth.getFullYear();
  if (now.getMonth() < birth.getMonth() || (now.getMonth() === birth.getMonth() && now.getDate() < birth.getDate())) age -= 1;
  return age;
}

// == cases and callbacks (when their APIs exist) =================================================
async function openCase(id) {
  state.current = { kind: "case", id };
  showView("case");
  renderMine();
  try {
    const c = await work.showCase(id, $("case-view"), () => work.loadCases(state, openCase));
    await work.loadCases(state, openCase);
    if (c.customer_id) await loadCustomer({ id: null, customer_id: c.customer_id, care: c.elderly });
  } catch (error) {
    fail(error);
  }
}

async function openCallback(id) {
  state.current = { kind: "callback", id };
  showView("case");
  try {
    const cb = await work.showCallback(id, $("case-view"));
    await loadCustomer({ id: null, customer_id: cb.customer_id, care: cb.care });
  } catch (error) {
    fail(error);
  }
}

// == keyboard ====================================================================================
function moveConversation(step) {
  if (!state.mine.length) return;
  const at = state.mine.findIndex((c) => c.id === state.current?.id);
  const next = state.mine[(at + step + state.mine.length) % state.mine.length];
  openConversation(next.id).then(() => $("mine").querySelector(`[data-conversation="${next.id}"]`)?.focus());
}

function toggleLang() {
  setLang(lang() === "zh" ? "en" : "zh");
  renderOffers();
  renderMine();
  if (state.current?.kind === "conversation" && state.conversation) {
    renderConversation();
    loadCustomer(state.conversation).catch(fail);
  } else if (state.current?.kind === "case") {
    work.showCase(state.current.id, $("case-view"), () => work.loadCases(state, openCase)).catch(fail);
  }
  work.loadCases(state, openCase).catch(() => {});
  if (state.live !== null && !$("live").hidden) setLive(state.live);
}

$("lang").addEventListener("click", toggleLang);
$("help-open").addEventListener("click", () => $("help").showModal());

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && typing(event.target) && !$("help").open) {
    // Leave a text box so that the one-key shortcuts work again.
    event.target.blur();
    (state.current ? $("messages") : $("main")).focus();
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
  if ($("help").open && event.key !== "?") return;
  if (event.key === "?") {
    event.preventDefault();
    if ($("help").open) $("help").close();
    else $("help").showModal();
    return;
  }
  if (event.key.toLowerCase() === "l") return toggleLang();
  if (!state.me || $("workspace").hidden) return;
  const key = event.key.toLowerCase();
  const first = state.offers[0];
  const actions = {
    a: () => first && accept(first),
    d: () => first && decline(first),
    g: () => setPresence(state.agent?.presence === "available" ? "away" : "available"),
    j: () => moveConversation(1),
    k: () => moveConversation(-1),
    r: () => !$("conversation").hidden && $("reply").focus(),
    e: () => !$("conversation").hidden && $("disposition").focus(),
  };
  if (actions[key]) {
    event.preventDefault();
    actions[key]();
  }
});

apply(document);
if (token()) start();
else showLogin();
