// Live updates: a one-minute ticket from POST /api/v1/stream/tickets opens an EventSource on
// /api/v1/stream (EventSource cannot send an Authorization header). When the stream drops or reaches its
// lifetime, a fresh ticket reopens it, backing off up to 30 s. onEvent(name, data) gets every event.

import { api } from "./api.js";

const NAMES = [
  "hello", "wallboard", "bye",
  "offer.created", "offer.accepted", "offer.declined", "offer.expired", "offer.rescinded",
  "task.assigned", "task.queued", "task.requeued", "task.completed", "task.removed", "task.opened",
  "conversation.created", "conversation.assigned", "conversation.resolved", "conversation.closed",
  "conversation.abandoned", "message.posted", "agent.presence_changed", "agent.set_away",
  "case.opened", "case.resolved", "case.contact_attempted", "case.payment_joined", "case.release_requested",
  "case.specialist_requested", "case.rescreened",
  "callback.scheduled", "callback.attempted",
];

export function connect({ wallboard = false, onEvent, onState }) {
  let source = null;
  let delay = 1000;
  let stopped = false;

  async function open() {
    if (stopped) return;
    let ticket;
    try {
      ticket = (await api("POST", "/api/v1/stream/tickets")).ticket;
    } catch (error) {
      onState(false, error);
      return retry();
    }
    // Stopped while the ticket was on its way (signed out, session expired): open nothing, or a second
    // stream would run beside the next session's.
    if (stopped) return;
    const params = new URLSearchParams({ ticket });
    if (wallboard) params.set("wallboard", "true");
    source = new EventSource(`/api/v1/stream?${params}`);
    source.onopen = () => {
      delay = 1000;
      onState(true);
    };
    source.onerror = () => {
      source.close();
      onState(false);
      retry();
    };
    const handle = (event) => onEvent(event.type, event.data ? JSON.parse(event.data) : null);
    for (const name of NAMES) source.addEventListener(name, handle);
    source.onmessage = handle;
    source.addEventListener("bye", () => {
      source.close();
      onState(false);
      open();
    });
  }

  function retry() {
    if (stopped) return;
    setTimeout(open, delay);
    delay = Math.min(delay * 2, 30000);
  }

  open();
  return () => {
    stopped = true;
    if (source) source.close();
  };
}
