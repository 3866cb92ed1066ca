// What every workspace component shares outside Preact's state: the API call that notices an expired
// session, problem codes as text in the agent's language, dates, drafts that survive a re-login, and a
// small event hub the live stream feeds.

import { api, ApiError } from "../api.js";
import { lang, t } from "../i18n.js";

let onExpired = () => {};

export function whenExpired(fn) {
  onExpired = fn;
}

export function expire() {
  onExpired();
}

// Every request of the workspace goes through here: a 401 means the session is over, whoever asked.
export async function call(method, path, body) {
  try {
    return await api(method, path, body);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) onExpired();
    throw error;
  }
}

// An optional panel's request: a role that may not see it (403) or a server without it (404) hides the
// panel and never stops the rest of the page.
export async function maybe(path) {
  try {
    return await call("GET", path);
  } catch (error) {
    if (error instanceof ApiError && [403, 404, 405].includes(error.status)) return null;
    throw error;
  }
}

export function problemText(error) {
  if (!(error instanceof ApiError)) return t("error.network");
  if (error.status === 401) return t("session.expired");
  const code = error.problem?.code;
  if (code) {
    const key = `problem.${code}`;
    if (t(key) !== key) return t(key);
  }
  if (error.status >= 500) return t("problem.server");
  return error.message;
}

const ZONE = "Asia/Shanghai";

function locale() {
  return lang() === "en" ? "en-GB" : "zh-CN";
}

// Date and time together wherever the day can differ from today's (holds, history, attempts).
export function stamp(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(locale(), {
    timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    hour12: false,
  });
}

// The time alone for today's messages, with the date for those of another day (in Beijing time).
export function when(iso) {
  const day = (at) => new Date(at).toLocaleDateString("en-CA", { timeZone: ZONE });
  if (day(iso) === day(Date.now())) {
    return new Date(iso).toLocaleTimeString(locale(), { timeZone: ZONE, hour12: false });
  }
  return stamp(iso);
}

export function span(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 2 * 86400) return t("unit.days", { n: Math.floor(s / 86400) });
  if (s >= 3600) return t("unit.h_min", { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
  if (s >= 60) return t("unit.min", { m: Math.floor(s / 60), s: s % 60 });
  return t("unit.s", { n: s });
}

export function ageBand(birthDate, now) {
  if (!birthDate) return t("age.unknown");
  const born = new Date(birthDate);
  let age = now.getUTCFullYear() - born.getUTCFullYear();
  const before = now.getUTCMonth() < born.getUTCMonth() ||
    (now.getUTCMonth() === born.getUTCMonth() && now.getUTCDate() < born.getUTCDate());
  if (before) age -= 1;
  const lo = Math.floor(age / 10) * 10;
  return t("age.band", { lo, hi: lo + 9 });
}

export function pick(pair) {
  // {zh, en} -> the text of the current language
  return pair ? (pair[lang()] ?? pair.zh) : null;
}

// Replies not yet sent, per conversation: kept in sessionStorage so an expired session or a reload loses
// nothing the agent typed.
const DRAFTS = "kefu.drafts";

export function draft(id) {
  try {
    return JSON.parse(sessionStorage.getItem(DRAFTS) || "{}")[id] ?? "";
  } catch {
    return "";
  }
}

export function keepDraft(id, text) {
  let all = {};
  try {
    all = JSON.parse(sessionStorage.getItem(DRAFTS) || "{}");
  } catch {
    all = {};
  }
  if (text) all[id] = text;
  else delete all[id];
  sessionStorage.setItem(DRAFTS, JSON.stringify(all));
}

export function dropDrafts() {
  sessionStorage.removeItem(DRAFTS);
}

// The live stream's events, fanned out to the components that listen (the open conversation, lists).
const listeners = new Set();

export function listen(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function emit(name, data) {
  for (const fn of [...listeners]) fn(name, data);
}
