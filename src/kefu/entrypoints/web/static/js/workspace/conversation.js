// One conversation: its messages (live), the reply, resolve and transfer. Safe by construction: the view is
// keyed by the conversation's id and its forms exist only once that very conversation loaded, so a reply
// or a resolve always goes to the conversation on screen; a failed load shows no forms at all.

import { t } from "../i18n.js";
import { html, useEffect, useLayoutEffect, useRef, useState } from "../ui.js";
import { CannedList, fill, matching, slashQuery } from "./canned.js";
import { useAction } from "./hooks.js";
import { call, draft, keepDraft, listen, problemText, when } from "./session.js";
import { say } from "./toast.js";

const DISPOSITIONS = ["solved", "info_given", "follow_up", "transferred", "scam_warned", "no_response"];

function Messages({ messages }) {
  const box = useRef(null);
  useLayoutEffect(() => {
    const el = box.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [messages.length]);
  return html`
    <ol id="messages" class="messages" role="log" aria-live="polite" tabindex="0" aria-labelledby="work-title" ref=${box}>
      ${messages.map((m) => html`
        <li key=${m.id} class=${`msg ${m.sender}`}>
          <span class="who">${t(`sender.${m.sender}`)} · ${when(m.created_at)}</span>
          <p>${m.body}</p>
        </li>`)}
    </ol>`;
}

function Reply({ conv, onSent, canned, vars }) {
  const [text, setText] = useState(() => draft(conv.id));
  const [selected, setSelected] = useState(0);
  const [busy, run] = useAction();
  const options = matching(canned, slashQuery(text));
  function put(value) {
    setText(value);
    keepDraft(conv.id, value);
  }
  function change(event) {
    put(event.currentTarget.value);
    setSelected(0);
  }
  function pick(response) {
    put(fill(response.body, vars));
    document.getElementById("reply")?.focus();
  }
  async function send(event) {
    event.preventDefault();
    const body = text.trim();
    if (!body || options.length) return;
    await run(async () => {
      try {
        await call("POST", `/api/v1/conversations/${conv.id}/messages`, { body });
        put("");
        await onSent();
      } catch (error) {
        say(`${t("error.generic")}: ${problemText(error)}`, true);
      }
    });
  }
  function key(event) {
    if (options.length) {
      const step = { ArrowDown: 1, ArrowUp: -1 }[event.key];
      if (step) {
        event.preventDefault();
        setSelected((selected + step + options.length) % options.length);
        return;
      }
      if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        pick(options[Math.min(selected, options.length - 1)]);
        return;
      }
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      event.currentTarget.form.requestSubmit();
    }
  }
  const active = options[Math.min(selected, options.length - 1)];
  return html`
    <form id="reply-form" class="reply" onSubmit=${send}>
      <label for="reply">${t("reply.label")}</label>
      <p id="reply-hint" class="muted hint">${t("reply.canned_hint")}</p>
      <div class="reply-row">
        <div class="reply-box">
          <textarea id="reply" rows="3" placeholder=${t("reply.placeholder")} aria-keyshortcuts="Control+Enter"
            aria-describedby="reply-hint" aria-autocomplete="list" aria-expanded=${String(options.length > 0)}
            aria-controls=${options.length ? "canned-list" : null}
            aria-activedescendant=${active ? `canned-${active.id}` : null}
            value=${text} onInput=${change} onKeyDown=${key}></textarea>
          <${CannedList} options=${options} selected=${selected} onPick=${pick} />
        </div>
        <button type="submit" class="primary" disabled=${busy || !text.trim()}>${busy ? t("reply.sending") : t("reply.send")}</button>
      </div>
    </form>`;
}

function Note({ conv, onAdded }) {
  const [text, setText] = useState("");
  const [busy, run] = useAction();
  async function add(event) {
    event.preventDefault();
    const body = text.trim();
    if (!body) return;
    await run(async () => {
      try {
        await call("POST", `/api/v1/conversations/${conv.id}/notes`, { body });
        setText("");
        say(t("note.added"));
        await onAdded();
      } catch (error) {
        say(`${t("error.generic")}: ${problemText(error)}`, true);
      }
    });
  }
  return html`
    <details class="note-form">
      <summary>${t("note.title")}</summary>
      <form id="note-form" onSubmit=${add}>
        <label for="internal-note">${t("note.label")}</label>
        <div class="reply-row">
          <textarea id="internal-note" rows="2" maxlength="10000" value=${text}
            onInput=${(e) => setText(e.currentTarget.value)}></textarea>
          <button type="submit" disabled=${busy || !text.trim()}>${t("note.add")}</button>
        </div>
      </form>
    </details>`;
}

function Resolve({ conv, onResolved }) {
  const [disposition, setDisposition] = useState("");
  const [note, setNote] = useState("");
  const [busy, run] = useAction();
  const select = useRef(null);
  async function submit(event) {
    event.preventDefault();
    if (!disposition) {
      select.current?.focus();
      say(t("resolve.choose"), true);
      return;
    }
    await run(async () => {
      try {
        await call("POST", `/api/v1/conversations/${conv.id}/resolve`, { disposition, note: note.trim() || null });
        say(t("resolve.done"));
        await onResolved(conv.id);
      } catch (error) {
        say(`${t("error.generic")}: ${problemText(error)}`, true);
      }
    });
  }
  return html`
    <form id="resolve-form" class="resolve" onSubmit=${submit}>
      <fieldset disabled=${busy}>
        <legend>${t("resolve.title")}</legend>
        <div class="resolve-row">
          <div>
            <label for="disposition">${t("resolve.disposition")}</label>
            <select id="disposition" ref=${select} value=${disposition} onChange=${(e) => setDisposition(e.currentTarget.value)}>
              <option value="">${t("resolve.choose")}</option>
              ${DISPOSITIONS.map((d) => html`<option value=${d}>${t(`disp.${d}`)}</option>`)}
            </select>
          </div>
          <div class="grow">
            <label for="note">${t("resolve.note")}</label>
            <input id="note" maxlength="5000" value=${note} onInput=${(e) => setNote(e.currentTarget.value)} />
          </div>
          <button type="submit" class="secondary">${t("resolve.submit")}</button>
        </div>
      </fieldset>
    </form>`;
}

function Transfer({ conv, queues, onTransferred }) {
  const [queue, setQueue] = useState("");
  const [note, setNote] = useState("");
  const [busy, run] = useAction();
  async function submit(event) {
    event.preventDefault();
    if (!queue) return;
    await run(async () => {
      try {
        await call("POST", `/api/v1/conversations/${conv.id}/transfer`, { to_queue: queue, note: note.trim() || null });
        say(t("transfer.done"));
        await onTransferred(conv.id);
      } catch (error) {
        say(`${t("error.generic")}: ${problemText(error)}`, true);
      }
    });
  }
  const others = Object.entries(queues).filter(([id]) => id !== conv.queue);
  return html`
    <details class="transfer">
      <summary>${t("transfer.title")}</summary>
      <form id="transfer-form" onSubmit=${submit}>
        <fieldset disabled=${busy}>
          <div class="resolve-row">
            <div>
              <label for="transfer-queue">${t("transfer.queue")}</label>
              <select id="transfer-queue" value=${queue} onChange=${(e) => setQueue(e.currentTarget.value)}>
                <option value="">${t("transfer.choose")}</option>
                ${others.map(([id, name]) => html`<option value=${id}>${name}</option>`)}
              </select>
            </div>
            <div class="grow">
              <label for="transfer-note">${t("transfer.note")}</label>
              <input id="transfer-note" maxlength="2000" value=${note} onInput=${(e) => setNote(e.currentTarget.value)} />
            </div>
            <button type="submit" disabled=${!queue}>${t("transfer.submit")}</button>
          </div>
        </fieldset>
      </form>
    </details>`;
}

export function ConversationView({ id, me, agentName, canned, queues, queueName, focus, onLoaded, onResolved, onTransferred }) {
  const [conv, setConv] = useState(null);
  const [customer, setCustomer] = useState(null);
  const [failed, setFailed] = useState(null);
  const title = useRef(null);
  const focused = useRef(false);

  async function load() {
    try {
      const loaded = await call("GET", `/api/v1/conversations/${id}`);
      setConv(loaded);
      setFailed(null);
      onLoaded?.(loaded);
      if (!customer) {
        // For the canned responses: the customer's name and language.
        call("GET", `/api/v1/customers/${loaded.customer_id}`).then(setCustomer).catch(() => {});
      }
    } catch (error) {
      setFailed(problemText(error));
    }
  }
  useEffect(() => {
    load();
    return listen((name, data) => {
      if (name === "message.posted" && data?.conversation_id === id) load();
      if (name.startsWith("conversation.") && data?.conversation_id === id) load();
    });
  }, [id]);
  useEffect(() => {
    if (conv && focus && !focused.current) {
      focused.current = true;
      title.current?.focus();
    }
  }, [conv]);

  if (!conv) {
    return html`<div id="conversation" class="work-view">
      ${failed
        ? html`<div class="load-failed" role="alert"><p>${t("work.load_failed")} ${failed}</p>
            <button type="button" onClick=${load}>${t("work.retry")}</button></div>`
        : html`<p class="muted">${t("work.loading")}</p>`}
    </div>`;
  }
  const mine = conv.status === "assigned" && (conv.agent_id === me.agent_id || me.role !== "agent");
  return html`
    <div id="conversation" class="work-view" data-conversation=${conv.id}>
      <header class="work-head">
        <h2 id="work-title" tabindex="-1" ref=${title}>${conv.subject || t("conv.subject_none")}</h2>
        <p id="conv-meta" class="muted">${t(`channel.${conv.channel}`)} · ${queueName(conv.queue)} · <span class="badge neutral">${t(`conv.status.${conv.status}`)}</span>
          ${conv.care && html` <span class="badge care">${t("care.badge")}</span>`}</p>
      </header>
      ${failed && html`<p class="load-failed" role="alert">${failed}</p>`}
      <h3 class="sr-only">${t("conv.messages")}</h3>
      <${Messages} messages=${conv.messages} />
      ${mine && html`<${Reply} key=${conv.id} conv=${conv} onSent=${load}
        canned=${canned.filter((r) => !customer || r.language === customer.language)}
        vars=${{ customer_name: customer?.name ?? "", agent_name: agentName }} />`}
      ${mine && html`<${Note} conv=${conv} onAdded=${load} />`}
      ${mine && html`<${Resolve} conv=${conv} onResolved=${onResolved} />`}
      ${mine && html`<${Transfer} conv=${conv} queues=${queues} onTransferred=${onTransferred} />`}
    </div>`;
}
