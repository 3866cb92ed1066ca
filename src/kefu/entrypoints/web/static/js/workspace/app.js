// The agent workspace as Preact components: the session (sign-in, expiry, sign-in again), and while signed
// in one Workspace whose effects start the live stream and the timers once and stop them on the way out.

import { ApiError, signOut, token } from "../api.js";
import { lang, setLang, t } from "../i18n.js";
import { connect } from "../stream.js";
import { html, useEffect, useRef, useState } from "../ui.js";
import { askOnce, notify, tone } from "./alerts.js";
import { CallbackView } from "./callback.js";
import { CaseView } from "./case.js";
import { ConversationView } from "./conversation.js";
import { CustomerPanel } from "./customer.js";
import { Help } from "./help.js";
import { Inbox } from "./inbox.js";
import { useAction } from "./hooks.js";
import { Login } from "./login.js";
import { byUrgency, caseLine, Offers, offerTitle } from "./offers.js";
import { ageBand, call, dropDrafts, emit, expire, maybe, problemText, whenExpired } from "./session.js";
import { Toast, say } from "./toast.js";
import { TopBar } from "./topbar.js";
import { itemKey, WorkList } from "./worklist.js";
import { WrapUp } from "./wrapup.js";

const REFRESH_MS = 15000; // a safety net beside the pushed events; never faster than every 5 s
const TABS = "kefu.tabs"; // open items that no list on the server brings back (callbacks, history)
const TITLE = "kefu 客服";

function saved(key, fallback) {
  try {
    return JSON.parse(sessionStorage.getItem(key) || "null") ?? fallback;
  } catch {
    return fallback;
  }
}

function typing(target) {
  return target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

function Workspace({ me, onLang, onLogout }) {
  const [agent, setAgent] = useState(null);
  const [offers, setOffers] = useState([]);
  const [summaries, setSummaries] = useState({});
  const [convs, setConvs] = useState([]);
  const [cases, setCases] = useState([]);
  const [extra, setExtra] = useState(() => saved(TABS, []));
  const [active, setActive] = useState(() => saved(`${TABS}.active`, null));
  const [focusKey, setFocusKey] = useState(null);
  const [live, setLive] = useState(null);
  const [online, setOnline] = useState(navigator.onLine);
  const [wrapUp, setWrapUp] = useState({});
  const [queues, setQueues] = useState({});
  const [unread, setUnread] = useState({});
  const [last, setLast] = useState({});
  const [activity, setActivity] = useState({});
  const [names, setNames] = useState({});
  const [customer, setCustomer] = useState(null);
  const [canned, setCanned] = useState([]);
  const [help, setHelp] = useState(false);
  const [offerBusy, runOffer] = useAction();
  const [presenceBusy, runPresence] = useAction();
  const seenOffers = useRef(null);
  const latest = useRef({});

  const queueName = (id) => queues[id] ?? id;

  useEffect(() => sessionStorage.setItem(TABS, JSON.stringify(extra)), [extra]);
  useEffect(() => sessionStorage.setItem(`${TABS}.active`, JSON.stringify(active)), [active]);

  // == loading =================================================================================
  async function loadAgent() {
    if (!me.agent_id) return;
    setAgent(await call("GET", `/api/v1/agents/${me.agent_id}`));
  }
  async function loadWrapUp() {
    if (!me.agent_id) return;
    const out = await maybe(`/api/v1/agents/${me.agent_id}/wrap-up`);
    setWrapUp(out?.wrap_up_until ?? {});
  }
  async function loadOffers() {
    if (!me.agent_id) return;
    const got = byUrgency(await call("GET", `/api/v1/agents/${me.agent_id}/offers`));
    setOffers(got);
    for (const offer of got.filter((o) => o.kind === "case")) summarise(offer.subject_id);
  }
  async function summarise(caseId) {
    if (latest.current.summaries?.[caseId]) return;
    try {
      const c = await call("GET", `/api/v1/cases/${caseId}`);
      let band = t("age.unknown");
      if (c.customer_id) {
        const payer = await call("GET", `/api/v1/customers/${c.customer_id}`);
        band = ageBand(payer.birth_date, new Date());
      }
      setSummaries((was) => ({
        ...was,
        [caseId]: { amount: c.amount, currency: c.currency, typology: c.typology, typology_title: c.playbook?.title, age_band: band },
      }));
    } catch {
      // The offer still shows (as a case, in red); its details follow on the next refresh.
    }
  }
  async function loadMine() {
    const page = await call("GET", "/api/v1/conversations?status=assigned&limit=200");
    const mine = page.items.filter((c) => !me.agent_id || c.agent_id === me.agent_id);
    setConvs(mine);
    for (const c of mine) named(c.customer_id);
  }
  async function named(customerId) {
    if (!customerId || latest.current.names?.[customerId]) return;
    try {
      const found = await call("GET", `/api/v1/customers/${customerId}`);
      setNames((was) => ({ ...was, [customerId]: found.name }));
    } catch {
      // The list shows the subject without the name.
    }
  }
  async function loadCases() {
    // Optional: only anti-fraud specialists list cases; everyone else simply has none.
    const found = await maybe("/api/v1/cases?status=open&limit=200");
    setCases(found ? found.items.filter((c) => c.agent_id && c.agent_id === me.agent_id) : []);
  }
  async function lastMessage(id) {
    try {
      const c = await call("GET", `/api/v1/conversations/${id}`);
      const m = c.messages[c.messages.length - 1];
      if (m) setLast((was) => ({ ...was, [id]: m.body }));
    } catch {
      // Only a preview.
    }
  }
  // Each part loads on its own: one that fails (or that the role may not see) never stops the others.
  function refresh() {
    for (const load of [loadAgent, loadOffers, loadMine, loadCases, loadWrapUp]) {
      load().catch((error) => {
        if (!(error instanceof ApiError && error.status === 401)) say(`${t("error.generic")}: ${problemText(error)}`, true);
      });
    }
  }

  // == the live stream and the timers: started once per signed-in workspace, stopped on the way out ==
  useEffect(() => {
    call("GET", "/api/v1/queues")
      .then((list) => setQueues(Object.fromEntries(list.map((q) => [q.id, q.name]))))
      .catch(() => {}); // names are a nicety: the ids still show
    refresh();
    maybe("/api/v1/canned-responses").then((list) => setCanned(list ?? [])).catch(() => {});
    askOnce();
    const pending = new Set();
    let timer = 0;
    function soon(what) {
      pending.add(what);
      clearTimeout(timer);
      timer = setTimeout(() => {
        const todo = [...pending];
        pending.clear();
        for (const load of todo) load().catch(() => {});
      }, 150);
    }
    function onEvent(name, data) {
      emit(name, data);
      if (name.startsWith("offer.")) soon(loadOffers);
      if (name.startsWith("conversation.") || name.startsWith("task.")) {
        soon(loadMine);
        soon(loadWrapUp);
      }
      if (name.startsWith("case.") || name === "task.assigned") soon(loadCases);
      if (name.startsWith("agent.") && data?.agent_id === me.agent_id) soon(loadAgent);
      if (name === "message.posted" && data?.sender === "customer") {
        const id = data.conversation_id;
        const { active: now, convs: mine } = latest.current;
        if (!mine?.some((c) => c.id === id)) return;
        setActivity((was) => ({ ...was, [id]: Date.now() }));
        lastMessage(id);
        if (now !== `conversation:${id}` || document.hidden) {
          setUnread((was) => ({ ...was, [id]: (was[id] ?? 0) + 1 }));
          tone(false);
        }
      }
    }
    const stop = connect({
      onEvent,
      onState: (on, error) => {
        setLive(on);
        if (error instanceof ApiError && error.status === 401) expire();
      },
    });
    const poll = setInterval(refresh, REFRESH_MS);
    const up = () => setOnline(true);
    const down = () => setOnline(false);
    window.addEventListener("online", up);
    window.addEventListener("offline", down);
    return () => {
      stop();
      clearInterval(poll);
      clearTimeout(timer);
      window.removeEventListener("online", up);
      window.removeEventListener("offline", down);
      document.title = TITLE;
    };
  }, []);

  // == new offers: sound, desktop notification, the tab title ==================================
  useEffect(() => {
    const before = seenOffers.current;
    seenOffers.current = new Set(offers.map((o) => o.id));
    document.title = offers.length ? t("offers.pending_title", { n: offers.length }) : TITLE;
    if (before === null) return;
    const fresh = offers.filter((o) => !before.has(o.id));
    if (!fresh.length) return;
    const first = fresh[0];
    const urgent = first.kind === "case";
    tone(urgent);
    const what = offerTitle(first, queueName);
    notify(what, urgent ? caseLine(summaries[first.subject_id]) : "");
    say(t("offers.new", { what }));
  }, [offers]);

  // == the open items ==========================================================================
  const items = [
    ...cases.map((c) => ({
      kind: "case", id: c.id, amount: c.amount, currency: c.currency, title: c.payee_name || t("kind.case"), at: c.opened_at, care: c.elderly,
    })),
    ...convs
      .map((c) => ({
        kind: "conversation", id: c.id, title: c.subject || t("conv.subject_none"), customer: names[c.customer_id],
        care: c.care, at: c.updated_at, unread: unread[c.id] ?? 0, last: last[c.id], rank: activity[c.id] ?? Date.parse(c.updated_at),
      }))
      .sort((a, b) => b.rank - a.rank),
  ];
  const known = new Set(items.map(itemKey));
  for (const tab of extra) if (!known.has(itemKey(tab))) items.push({ ...tab, closable: true });
  latest.current = { offers, items, active, convs, summaries, names, agent };
  // The keyboard handler is installed once; it calls this render's actions through `latest`.
  Object.assign(latest.current, { accept, decline, setPresence, open, onLang });

  function open(item, focus = true) {
    const key = itemKey(item);
    if (!items.some((i) => itemKey(i) === key)) setExtra((was) => [...was.filter((x) => itemKey(x) !== key), { kind: item.kind, id: item.id, title: item.title }]);
    if (key !== active) setCustomer(null);
    setActive(key);
    setFocusKey(focus ? key : null);
    if (item.kind === "conversation") setUnread((was) => ({ ...was, [item.id]: 0 }));
  }
  function close(item) {
    const key = itemKey(item);
    setExtra((was) => was.filter((x) => itemKey(x) !== key));
    if (active === key) {
      setActive(null);
      setCustomer(null);
    }
  }
  async function finished(key) {
    setExtra((was) => was.filter((x) => itemKey(x) !== key));
    if (latest.current.active === key) {
      setActive(null);
      setCustomer(null);
    }
    await Promise.all([loadMine(), loadCases(), loadWrapUp()].map((p) => p.catch(() => {})));
    document.querySelector("#worklist button.item, #offers button, #main")?.focus();
  }

  // == actions =================================================================================
  async function accept(offer) {
    await runOffer(async () => {
      try {
        const decided = await call("POST", `/api/v1/offers/${offer.id}/accept`);
        say(t("offers.accepted"));
        const id = decided.conversation_id || offer.subject_id;
        const kind = offer.kind === "case" ? "case" : offer.kind === "callback" ? "callback" : "conversation";
        // The new item opens in its own tab; whatever was open stays in the list with its draft.
        open({ kind, id, title: offerTitle(offer, queueName) });
        await Promise.all([loadOffers(), loadMine(), loadCases()]);
      } catch (error) {
        if (error instanceof ApiError && error.status === 409) say(t("offers.expired"), true);
        else say(`${t("error.generic")}: ${problemText(error)}`, true);
        await loadOffers().catch(() => {});
      }
    });
  }
  async function decline(offer) {
    await runOffer(async () => {
      try {
        await call("POST", `/api/v1/offers/${offer.id}/decline`);
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 409)) say(`${t("error.generic")}: ${problemText(error)}`, true);
      }
      await loadOffers().catch(() => {});
    });
  }
  async function setPresence(presence, reason = null) {
    if (!me.agent_id) return;
    await runPresence(async () => {
      try {
        // Shown only once the server confirmed it.
        const body = reason ? { presence, reason } : { presence };
        setAgent(await call("PUT", `/api/v1/agents/${me.agent_id}/presence`, body));
        say(reason ? `${t(`presence.${presence}`)} · ${t(`away.${reason}`)}` : t(`presence.${presence}`));
        await loadOffers();
      } catch (error) {
        say(`${t("error.generic")}: ${problemText(error)}`, true);
      }
    });
  }

  // == keyboard ================================================================================
  useEffect(() => {
    function key(event) {
      const { offers: list, items: work, active: now, agent: who, accept, decline, setPresence, open, onLang } = latest.current;
      if (event.key === "Escape" && typing(event.target) && !document.querySelector("dialog[open]")) {
        // Leave a text box so that the one-key shortcuts work again.
        event.target.blur();
        (document.getElementById("messages") || document.getElementById("main")).focus();
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      if (document.querySelector("dialog[open]") && event.key !== "?") return;
      if (event.key === "?") {
        event.preventDefault();
        setHelp((was) => !was);
        return;
      }
      const k = event.key.toLowerCase();
      const move = (step) => {
        if (!work.length) return;
        const at = work.findIndex((i) => itemKey(i) === now);
        open(work[(at + step + work.length) % work.length]);
      };
      const actions = {
        l: onLang,
        a: () => list[0] && accept(list[0]),
        d: () => list[0] && decline(list[0]),
        g: () => setPresence(who?.presence === "available" ? "away" : "available"),
        j: () => move(1),
        k: () => move(-1),
        r: () => document.getElementById("reply")?.focus(),
        e: () => document.getElementById("disposition")?.focus(),
      };
      if (actions[k]) {
        event.preventDefault();
        actions[k]();
      }
    }
    document.addEventListener("keydown", key);
    return () => document.removeEventListener("keydown", key);
  }, []);

  // == view ====================================================================================
  const [kind, id] = active ? active.split(/:(.*)/s) : [null, null];
  const focus = focusKey === active;
  // The customer beside the work is the one of the item on screen, never a late answer for a closed one.
  const who = customer && customer.key === active ? customer : null;
  let view = html`<p id="work-none" class="muted center">${t("conv.none")}</p>`;
  if (kind === "conversation") {
    view = html`<${ConversationView} key=${active} id=${id} me=${me} agentName=${agent?.name ?? me.username} canned=${canned} queues=${queues} queueName=${queueName} focus=${focus}
      onLoaded=${(c) => setCustomer({ key: `conversation:${c.id}`, customerId: c.customer_id, care: c.care, currentId: c.id })}
      onResolved=${() => finished(`conversation:${id}`)} onTransferred=${() => finished(`conversation:${id}`)} />`;
  } else if (kind === "case") {
    view = html`<${CaseView} key=${active} id=${id} focus=${focus}
      onLoaded=${(c) => setCustomer({ key: `case:${c.id}`, customerId: c.customer_id, care: c.elderly, currentId: null })}
      onChanged=${() => loadCases().catch(() => {})} />`;
  } else if (kind === "customer") {
    // A customer found by the inbox's search: their card and their contacts, read only.
    view = html`<${CustomerPanel} key=${active} customerId=${id}
      onOpenConversation=${(cid, subject) => open({ kind: "conversation", id: cid, title: subject || t("conv.subject_none") })} />`;
  } else if (kind === "callback") {
    view = html`<${CallbackView} key=${active} id=${id} focus=${focus}
      onLoaded=${(cb) => {
        setCustomer({ key: `callback:${cb.id}`, customerId: cb.customer_id, care: cb.care, currentId: null });
        // The tab is named by the callback's reason once it is known.
        setExtra((was) => was.map((x) => (x.kind === "callback" && x.id === cb.id ? { ...x, title: cb.reason } : x)));
      }} />`;
  }
  return html`
    <${TopBar} me=${me} agent=${agent} live=${live} online=${online} onPresence=${setPresence}
      presenceBusy=${presenceBusy} onHelp=${() => setHelp(true)} onLang=${onLang} onLogout=${onLogout} />
    <main id="main" tabindex="-1">
      <div id="workspace" class="workspace">
        <div class="col col-left">
          <${Offers} offers=${offers} summaries=${summaries} queueName=${queueName} onAccept=${accept}
            onDecline=${decline} busy=${offerBusy} noAgent=${!me.agent_id} />
          <${WrapUp} agentId=${me.agent_id} until=${wrapUp} onChange=${setWrapUp} />
          <${WorkList} items=${items} active=${active} onOpen=${open} onClose=${close} />
          <${Inbox} me=${me} onOpen=${open} queueName=${queueName} />
        </div>
        <section id="work" class="col col-main card" aria-label=${t("app.workspace")}>${view}</section>
        <${CustomerPanel} key=${who?.customerId ?? "none"} customerId=${who?.customerId} care=${who?.care}
          currentId=${who?.currentId} onOpenConversation=${(cid, subject) => open({ kind: "conversation", id: cid, title: subject || t("conv.subject_none") })} />
      </div>
    </main>
    <${Help} open=${help} onClose=${() => setHelp(false)} />`;
}

export function App() {
  const [phase, setPhase] = useState(token() ? "starting" : "login"); // login | expired | starting | ready
  const [me, setMe] = useState(null);
  const [, setLangTick] = useState(0);

  useEffect(() => {
    whenExpired(() => {
      // The session is over: stop everything (the Workspace unmounts), keep the drafts, ask to sign in.
      signOut();
      setPhase((was) => (was === "ready" || was === "starting" ? "expired" : was));
    });
    if (token()) start();
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang() === "en" ? "en" : "zh-CN";
  });

  async function start() {
    try {
      setMe(await call("GET", "/api/v1/auth/me"));
      setPhase("ready");
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) {
        say(`${t("error.generic")}: ${problemText(error)}`, true);
        setPhase("login");
      }
    }
  }
  function toggleLang() {
    setLang(lang() === "zh" ? "en" : "zh");
    setLangTick((n) => n + 1);
  }
  function logout() {
    signOut();
    dropDrafts();
    sessionStorage.removeItem(TABS);
    sessionStorage.removeItem(`${TABS}.active`);
    setMe(null);
    setPhase("login");
  }
  useEffect(() => {
    if (phase === "ready") return undefined;
    const key = (event) => {
      if (event.key.toLowerCase() === "l" && !typing(event.target) && !event.ctrlKey && !event.metaKey && !event.altKey) toggleLang();
    };
    document.addEventListener("keydown", key);
    return () => document.removeEventListener("keydown", key);
  }, [phase]);

  if (phase === "ready" && me) {
    return html`<a class="skip" href="#main">${t("app.workspace")}</a>
      <${Workspace} me=${me} onLang=${toggleLang} onLogout=${logout} /><${Toast} />`;
  }
  return html`
    <${TopBar} me=${null} onLang=${toggleLang} />
    <main id="main" tabindex="-1">
      ${phase === "starting" ? html`<p class="muted center">${t("work.loading")}</p>`
        : html`<${Login} expired=${phase === "expired"} onSignedIn=${start} />`}
    </main>
    <${Toast} />`;
}
