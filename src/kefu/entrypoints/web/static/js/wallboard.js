// The supervisor wallboard. The server pushes a full snapshot over the event stream after every burst of
// events (and every 15 s when quiet); waits tick on locally between pushes, once a second. When the stream
// drops the figures are greyed and marked out of date (and stop ticking); when the session has ended the page
// says so and offers to sign in again. Filters (site, business line) and the wall-display mode live in the
// address (?site=wuhan&line=games&wall=1) so a wall screen can be set up once.

import { api, ApiError, optional } from "./api.js";
import { clock, t } from "./i18n.js";
import { connect } from "./stream.js";
import { html, render, useEffect, useRef, useState } from "./ui.js";
import { Agents, Alarms, CentreLine, Fraud, Sites, Tile, lineName, siteName, updatedAt } from "./console/board.js";
import { Bar, SignIn, useLang, useSession } from "./console/shell.js";

const FRAUD_REFRESH_MS = 30000;
const QUIET_PUSH_S = 15; // the server pushes at least this often; twice that without a push is stale

function localMidnight() {
  // Midnight today in Asia/Shanghai (UTC+8, no daylight saving), as an ISO instant.
  const shanghai = new Date(Date.now() + 8 * 3600 * 1000);
  shanghai.setUTCHours(0, 0, 0, 0);
  return new Date(shanghai.getTime() - 8 * 3600 * 1000).toISOString();
}

async function loadFraud() {
  const to = new Date(Date.now() + 60 * 1000).toISOString();
  const [cases, stats] = await Promise.all([
    optional("/api/v1/cases?status=open&limit=200"),
    optional(`/api/v1/stats/fraud?from=${encodeURIComponent(localMidnight())}&to=${encodeURIComponent(to)}`),
  ]);
  return { cases, stats };
}

function fromAddress() {
  const params = new URLSearchParams(location.search);
  return { site: params.get("site") ?? "", line: params.get("line") ?? "", wall: params.get("wall") === "1" };
}

function toAddress(view) {
  const params = new URLSearchParams();
  if (view.site) params.set("site", view.site);
  if (view.line) params.set("line", view.line);
  if (view.wall) params.set("wall", "1");
  const query = params.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

function Filters({ board, view, setView }) {
  const lines = [...new Set(board.queues.map((q) => q.business_line))];
  return html`
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label>${t("wb.filter.site")}
        <select id="filter-site" value=${view.site} onChange=${(e) => setView({ ...view, site: e.target.value })}>
          <option value="">${t("wb.filter.all")}</option>
          ${board.sites.map((s) => html`<option value=${s.site}>${siteName(s)}</option>`)}
        </select>
      </label>
      <label>${t("wb.filter.line")}
        <select id="filter-line" value=${view.line} onChange=${(e) => setView({ ...view, line: e.target.value })}>
          <option value="">${t("wb.filter.all")}</option>
          ${lines.map((line) => html`<option value=${line}>${lineName(line)}</option>`)}
        </select>
      </label>
    </form>`;
}

function Wallboard() {
  useLang();
  const [session] = useSession();
  const [board, setBoard] = useState(null);
  const [live, setLive] = useState(false);
  const [expired, setExpired] = useState(false);
  const [forbidden, setForbidden] = useState(false);
  const [fraud, setFraud] = useState(null);
  const [view, setViewState] = useState(fromAddress());
  const [now, setNow] = useState(Date.now());
  const received = useRef(0);
  const droppedAt = useRef(null);

  const setView = (next) => {
    setViewState(next);
    toAddress(next);
  };

  useEffect(() => {
    document.body.classList.toggle("wall", view.wall);
  }, [view.wall]);

  useEffect(() => {
    if (session.status !== "ready") return undefined;
    let stop = () => {};
    let timers = [];
    const refreshFraud = () => loadFraud().then(setFraud).catch(() => {});
    api("GET", "/api/v1/wallboard")
      .then((first) => {
        received.current = Date.now();
        setBoard(first);
        refreshFraud();
        stop = connect({
          wallboard: true,
          onState: (on, error) => {
            setLive(on);
            if (on) droppedAt.current = null;
            else droppedAt.current ??= Date.now();
            if (error instanceof ApiError && error.status === 401) {
              setExpired(true);
              stop(); // a new ticket needs a new session: stop asking
            }
          },
          onEvent: (name, data) => {
            if (name === "wallboard") {
              received.current = Date.now();
              droppedAt.current = null;
              setBoard(data);
            } else if (name.startsWith("case.") || name.startsWith("payment.")) {
              refreshFraud();
            }
          },
        });
        timers = [setInterval(refreshFraud, FRAUD_REFRESH_MS)];
      })
      .catch((error) => {
        if (error instanceof ApiError && error.status === 401) setExpired(true);
        else if (error instanceof ApiError && error.status === 403) setForbidden(true);
      });
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      stop();
      clearInterval(tick);
      timers.forEach(clearInterval);
    };
  }, [session.status]);

  const bar = html`<${Bar} title=${t("wb.title")} page="wallboard" me=${session.me} live=${board ? live : undefined}>
    <button type="button" id="wall-toggle" class="ghost" aria-pressed=${view.wall ? "true" : "false"}
      onClick=${() => setView({ ...view, wall: !view.wall })}>${t(view.wall ? "wb.wall_exit" : "wb.wall")}</button>
  <//>`;

  if (session.status === "signin") return html`${bar}<main id="main" class="board"><${SignIn} expired=${false} /></main>`;
  if (forbidden) return html`${bar}<main id="main" class="board"><p id="forbidden" class="center error">${t("wb.forbidden")}</p></main>`;
  if (!board) return html`${bar}<main id="main" class="board">${expired ? html`<${SignIn} expired=${true} />` : null}</main>`;

  // Stale: the stream dropped, or nothing arrived for twice the quiet interval (a connection that hangs).
  const silent = (now - received.current) / 1000 > 2 * QUIET_PUSH_S;
  const stale = expired || droppedAt.current !== null || silent;
  const frozenAt = stale ? (droppedAt.current ?? now) : now;
  const elapsed = Math.max(0, (frozenAt - received.current) / 1000);
  const queues = board.queues.filter((q) => !view.line || q.business_line === view.line);
  const shown = new Set(queues.map((q) => q.id));
  const alarms = board.alarms.filter((a) => !a.queue_id || shown.has(a.queue_id));
  const sites = board.sites.filter((s) => !view.site || s.site === view.site);
  const agents = (board.agents ?? []).filter((a) => !view.site || a.site === view.site);

  return html`${bar}
    <main id="main" class="board" tabindex="-1">
      ${expired ? html`<${SignIn} expired=${true} />` : null}
      ${stale ? html`<p id="stale" class="stale-banner" role="alert"><strong>${t("wb.stale")}</strong>${" "}
        ${t("wb.stale_detail", { t: clock(board.at) })}</p>` : null}
      <div id="board" class=${stale ? "stale" : ""} data-stale=${stale ? "true" : "false"}>
        <div class="board-head">
          <h2 id="queues-title">${t("wb.queues")}</h2>
          <${Filters} board=${board} view=${view} setView=${setView} />
          <p id="updated" class="muted">${updatedAt(board)}</p>
        </div>
        <${Alarms} alarms=${alarms} />
        <ul id="queues" class="tiles" aria-labelledby="queues-title">
          ${queues.map((q) => html`<${Tile} key=${q.id} queue=${q} elapsed=${elapsed} site=${view.site} />`)}
        </ul>
        <${CentreLine} centre=${board.centre} />
        <div class="board-columns">
          <${Sites} sites=${sites} />
          <${Fraud} board=${board} fraud=${fraud} />
        </div>
        <${Agents} agents=${agents} sites=${board.sites} now=${now} />
      </div>
    </main>`;
}

render(html`<${Wallboard} />`, document.getElementById("app"));
