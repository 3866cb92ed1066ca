"""The in-memory report store: the same hourly partial sums as the SQL report queries, computed in Python.

Each source (conversations, CSAT, commendations, complaints, cases, funds saved, transfers) adds to cells
keyed by (hour, queue, site, business line, agent); a report by one dimension sums those cells by (hour,
that key), and counts agent-hours as the cells where a named agent answered. Hours inside the rolled
range come from the stored rollup, as in the SQL store. Day buckets (``day_tz``) are left to the caller,
as on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

from kefu.adapters.memory.store import MemorySession
from kefu.domain.errors import InvalidInput
from kefu.services.reports_ports import SUMS, HourFigures

# The same constants as ``kefu.adapters.store.report_queries`` (the contract tests hold them together).
ALL_AGENTS = "*"
NONE = "none"
CASE_QUEUE = "anti_fraud"
CASE_LINE = "payments"
SAVED_CURRENCY = "CNY"
DEFAULT_ANSWER_WITHIN_S = 20
DIMENSIONS: dict[str | None, int] = {None: 0, "queue": 1, "site": 2, "business_line": 3, "agent": 4}

Key = tuple[datetime, str, str, str, str]


@dataclass(frozen=True, slots=True)
class ReportState:
    rolled_from: datetime
    rolled_until: datetime
    rolled_at: datetime


def _hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _secs(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds()


def _figures(hour: datetime, dim: int, value: str) -> HourFigures:
    """Empty figures of one hour keyed by one dimension (1-4) set to ``value``, or by none (0)."""
    names = ["", "", "", ""]
    if dim:
        names[dim - 1] = value
    return HourFigures(hour, names[0], names[1], names[2], names[3])


@dataclass(slots=True)
class _Cells:
    """The cells of one computation: records in [since, until), of one agent when ``agent_id`` is set."""

    since: datetime
    until: datetime
    agent_id: str | None
    cells: dict[Key, HourFigures] = field(default_factory=dict)

    def wanted(self, when: datetime, agent: str | None) -> bool:
        return self.since <= when < self.until and (self.agent_id is None or agent == self.agent_id)

    def at(self, when: datetime, queue: str, site: str, line: str, agent: str) -> HourFigures:
        key = (_hour(when), queue, site, line, agent)
        if key not in self.cells:
            self.cells[key] = HourFigures(*key)
        return self.cells[key]


class MemoryReportStore:
    def __init__(self, session: MemorySession) -> None:
        self._s = session

    async def rolled_until(self) -> datetime | None:
        state: ReportState | None = self._s.get("report_state", 1)
        return None if state is None else state.rolled_until

    async def hours(
        self,
        since: datetime,
        until: datetime,
        group_by: str | None,
        agent_id: str | None = None,
        day_tz: str | None = None,
    ) -> list[HourFigures]:
        dim = DIMENSIONS[group_by]
        state: ReportState | None = self._s.get("report_state", 1)
        out: list[HourFigures] = []
        live: list[tuple[datetime, datetime]] = [(since, until)]
        if state is not None and state.rolled_from < until and since < state.rolled_until:
            lo, hi = max(since, state.rolled_from), min(until, state.rolled_until)
            out.extend(self._rolled(lo, hi, group_by, agent_id))
            live = [(a, b) for a, b in ((since, lo), (hi, until)) if a < b]
        for a, b in live:
            out.extend(_by_dimension(self._cells(a, b, agent_id), dim))
        return out

    def _rolled(
        self, since: datetime, until: datetime, group_by: str | None, agent_id: str | None
    ) -> list[HourFigures]:
        sums: dict[tuple[datetime, str], HourFigures] = {}
        dim = DIMENSIONS[group_by] if agent_id is None else 0
        for row in self._s.scan("report_hours"):
            if not since <= row.hour < until:
                continue
            if agent_id is not None:
                if row.agent_id != agent_id:
                    continue
                value = ""
            elif group_by == "agent":
                if row.agent_id == ALL_AGENTS:
                    continue
                value = row.agent_id
            else:
                if row.agent_id != ALL_AGENTS:
                    continue
                value = "" if group_by is None else getattr(row, group_by)
            key = (row.hour, value)
            if key not in sums:
                sums[key] = _figures(row.hour, dim, value)
            sums[key].add(row)
        return list(sums.values())

    # -- computing from the records --------------------------------------------------------------------
    def _site(self, agent_id: str | None, customer_id: str | None) -> str:
        """The agent's site, else the customer's home site, else ``none`` (the SQL ``coalesce``)."""
        agent = None if agent_id is None else self._s.get("agents", agent_id)
        if agent is not None and agent.site is not None:
            return str(agent.site)
        customer = None if customer_id is None else self._s.get("customers", customer_id)
        if customer is not None and customer.home_site is not None:
            return str(customer.home_site)
        return NONE

    def _cells(self, since: datetime, until: datetime, agent_id: str | None) -> dict[Key, HourFigures]:
        """Figures per hour and (queue, site, business line, agent), from the records."""
        cells = _Cells(since, until, agent_id)
        self._contacts(cells)
        for r in self._s.scan("csat_ratings"):
            if cells.wanted(r.at, r.agent_id):
                site = self._site(r.agent_id, r.customer_id)
                f = cells.at(r.at, r.queue, site, r.business_line, r.agent_id or "")
                f.csat_count += 1
                f.csat_sum += r.score
        for r in self._s.scan("commendations"):
            agent = self._s.get("agents", r.agent_id)
            if agent is not None and cells.wanted(r.at, r.agent_id):
                line = r.business_line or NONE
                cells.at(r.at, r.queue or NONE, agent.site, line, r.agent_id).commendations += 1
        for r in self._s.scan("complaints"):
            if cells.wanted(r.created_at, r.agent_id):
                site, line = self._site(r.agent_id, r.customer_id), r.business_line or NONE
                cells.at(r.created_at, r.queue or NONE, site, line, r.agent_id or "").complaints += 1
        for k in self._s.scan("cases"):
            if cells.wanted(k.opened_at, k.agent_id):
                site = self._site(k.agent_id, k.customer_id)
                cells.at(k.opened_at, CASE_QUEUE, site, CASE_LINE, k.agent_id or "").cases += 1
        for e in self._s.scan("funds_saved"):
            k = self._s.get("cases", e.case_id)
            if k is not None and e.currency == SAVED_CURRENCY and cells.wanted(e.at, k.agent_id):
                site = self._site(k.agent_id, k.customer_id)
                cells.at(e.at, CASE_QUEUE, site, CASE_LINE, k.agent_id or "").saved += e.amount
        self._transfers(cells)
        for f in cells.cells.values():
            f.agent_hours = 1 if f.agent_id and f.answered else 0
        return cells.cells

    def _contacts(self, cells: _Cells) -> None:
        within = {q.id: int(q.service_level.answer_within_s) for q in self._s.scan("queues")}
        for c in self._s.scan("conversations"):
            if not cells.wanted(c.created_at, c.agent_id):
                continue
            site = self._site(c.agent_id, c.customer_id)
            f = cells.at(c.created_at, c.queue, site, c.business_line, c.agent_id or "")
            f.contacts += 1
            if c.assigned_at is not None:
                wait = _secs(c.assigned_at, c.created_at)
                f.answered += 1
                f.answered_in_sl += wait <= within.get(c.queue, DEFAULT_ANSWER_WITHIN_S)
                f.wait_sum_s += wait
                if c.resolved_at is not None:
                    f.handled += 1
                    f.handle_sum_s += _secs(c.resolved_at, c.assigned_at)
            elif c.status == "abandoned":
                f.abandoned += 1
            if c.first_response_at is not None:
                f.responded += 1
                f.frt_sum_s += _secs(c.first_response_at, c.created_at)

    def _transfers(self, cells: _Cells) -> None:
        """Conversations transferred on: the hour of the transfer, the queue left and the agent holding it."""
        for t in self._s.scan("tasks"):
            if t.end_reason != "transferred" or t.kind != "conversation" or t.ended_at is None:
                continue
            c = self._s.get("conversations", t.subject_id)
            if c is not None and cells.wanted(t.ended_at, t.agent_id):
                site = self._site(t.agent_id, c.customer_id)
                cells.at(t.ended_at, t.queue_id, site, c.business_line, t.agent_id or "").transferred += 1

    # -- the rollup ------------------------------------------------------------------------------------
    async def roll_up(self, since: datetime, until: datetime, at: datetime) -> int:
        state: ReportState | None = self._s.get("report_state", 1)
        if state is not None and (since > state.rolled_until or until < state.rolled_from):
            raise InvalidInput(
                f"the rolled hours are {state.rolled_from.isoformat()} to {state.rolled_until.isoformat()}; "
                "a rollup must overlap or touch them so that no hour is left out",
                field="from",
            )
        per_agent = list(self._cells(since, until, None).values())
        rows = per_agent + _over_agents(per_agent)
        for key in [k for k, row in _keyed(self._s.scan("report_hours")) if since <= row.hour < until]:
            self._s.delete("report_hours", key)
        for f in rows:
            self._s.insert("report_hours", _row_key(f), f)
        if state is None:
            self._s.insert("report_state", 1, ReportState(since, until, at))
        else:
            new = ReportState(min(state.rolled_from, since), max(state.rolled_until, until), at)
            self._s.update("report_state", 1, new)
        return len(rows)


def _row_key(f: HourFigures) -> tuple[str, datetime, str, str, str]:
    return (f.agent_id, f.hour, f.queue, f.site, f.business_line)


def _keyed(rows: Iterable[HourFigures]) -> list[tuple[tuple[str, datetime, str, str, str], HourFigures]]:
    return [(_row_key(r), r) for r in rows]


def _by_dimension(cells: dict[Key, HourFigures], dim: int | None) -> list[HourFigures]:
    """The cells summed by (hour, the one key ``dim``; 0 for none), with agent-hours counted over cells."""
    if dim is None:
        return list(cells.values())
    out: dict[tuple[datetime, str], HourFigures] = {}
    for key, f in cells.items():
        value = str(key[dim]) if dim else ""
        if (key[0], value) not in out:
            out[(key[0], value)] = _figures(key[0], dim, value)
        total = out[(key[0], value)]
        hours = total.agent_hours
        total.add(f)
        total.agent_hours = hours + (1 if f.answered > 0 and f.agent_id != "" else 0)
    return list(out.values())


def _over_agents(figures: Iterable[HourFigures]) -> list[HourFigures]:
    """The same figures summed over agents, keyed by (hour, queue, site, business line)."""
    out: dict[tuple[datetime, str, str, str], HourFigures] = {}
    for f in figures:
        key = (f.hour, f.queue, f.site, f.business_line)
        if key not in out:
            out[key] = HourFigures(*key, ALL_AGENTS)
        out[key].add(f)
    return list(out.values())


assert tuple(f.name for f in fields(HourFigures))[5:] == SUMS  # noqa: S101 - the sums this module adds up
