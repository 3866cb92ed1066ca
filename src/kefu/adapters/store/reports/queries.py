"""Report queries: hourly partial sums from the records, and the rollup that keeps them ready.

One aggregate query per source (conversations, CSAT, commendations, complaints, cases, funds saved,
transfers), each
grouped by (hour, queue, site, business line, agent). Hours inside the rolled range come from
``report_hours``; hours outside it are computed from the records, so a report is right before any rollup
has run and fast once it has. The SQL differs by dialect only in two expressions: the hour of a time and the
seconds between two times.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, extract, func, insert, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from kefu.adapters.store.quality.tables import CommendationRow, ComplaintRow, CsatRow
from kefu.adapters.store.reports.tables import ALL_AGENTS, ReportHourRow, ReportStateRow
from kefu.adapters.store.routing.tables import QueueRow, TaskRow
from kefu.adapters.store.screening.tables import CaseRow, LedgerRow
from kefu.adapters.store.tables import AgentRow, ConversationRow, CustomerRow
from kefu.domain.cases import CASE_BUSINESS_LINE, CASE_QUEUE
from kefu.domain.errors import InvalidInput
from kefu.domain.reports import DEFAULT_ANSWER_WITHIN_S, SAVED_CURRENCY
from kefu.services.reports_ports import SUMS, HourFigures

NONE = "none"  # the site, queue or business line of figures that have none
TRANSFERRED = "transferred"  # the end reason of a task whose conversation was transferred on
# GROUP BY 1..5: portable, and free of the repeated bound parameters PostgreSQL would refuse to match.
_GROUP: tuple[ColumnElement[Any], ...] = tuple(literal_column(str(i)) for i in range(1, 6))

Key = tuple[datetime, str, str, str, str]
# Position of each grouping in the key (hour, queue, site, business line, agent); 0 is no grouping.
DIMENSIONS: dict[str | None, int] = {None: 0, "queue": 1, "site": 2, "business_line": 3, "agent": 4}


def _as_hour(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


_FLOATS = frozenset({"wait_sum_s", "handle_sum_s", "frt_sum_s"})


def _sums(values: Sequence[Any]) -> list[Any]:
    """Sums in ``SUMS`` order as Python numbers (PostgreSQL sums a bigint column into ``Decimal``)."""
    return [(float(v or 0) if name in _FLOATS else int(v or 0)) for name, v in zip(SUMS, values, strict=True)]


def _key(row: Sequence[Any], dim: int | None) -> Key:
    """The (hour, queue, site, line, agent) key of a result row: all five, or the hour and one of them."""
    if dim is None:
        return (_as_hour(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4]))
    key = ["", "", "", ""]
    if dim:
        key[dim - 1] = str(row[1])
    return (_as_hour(row[0]), key[0], key[1], key[2], key[3])


class SqlReportStore:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        # Time zone of day buckets when PostgreSQL sums whole days itself (None: hours).
        self._day_tz: str | None = None

    # -- dialect ---------------------------------------------------------------------------------------
    @property
    def _pg(self) -> bool:
        return self._s.get_bind().dialect.name == "postgresql"

    def _hour(self, col: Any) -> ColumnElement[Any]:
        if self._pg:
            return func.date_trunc(literal_column("'hour'"), col, literal_column("'UTC'"))
        return func.strftime(literal_column("'%Y-%m-%d %H:00:00'"), col)

    def _bucket(self, hour: Any) -> Any:
        """The start of an hour's bucket: its day in ``_day_tz`` when PostgreSQL sums days, else the hour."""
        if not self._day_tz:
            return hour
        zone = self._day_tz.replace("'", "''")
        return func.date_trunc(literal_column("'day'"), hour, literal_column(f"'{zone}'"))

    def _secs(self, later: Any, earlier: Any) -> ColumnElement[Any]:
        if self._pg:
            return extract("epoch", later - earlier)
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0

    # -- reading ---------------------------------------------------------------------------------------
    async def _state(self) -> ReportStateRow | None:
        return await self._s.get(ReportStateRow, 1)

    async def rolled_until(self) -> datetime | None:
        state = await self._state()
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
        # PostgreSQL sums whole days in the zone itself; SQLite hands back hours for the caller to add up.
        self._day_tz = day_tz if self._pg else None
        state = await self._state()
        out: list[HourFigures] = []
        live: list[tuple[datetime, datetime]] = [(since, until)]
        if state is not None and state.rolled_from < until and since < state.rolled_until:
            lo, hi = max(since, state.rolled_from), min(until, state.rolled_until)
            out.extend(await self._rolled(lo, hi, group_by, agent_id))
            live = [(a, b) for a, b in ((since, lo), (hi, until)) if a < b]
        for a, b in live:
            out.extend(await self._compute(a, b, agent_id, dim))
        return out

    async def _rolled(
        self, since: datetime, until: datetime, group_by: str | None, agent_id: str | None
    ) -> list[HourFigures]:
        r = ReportHourRow
        key: Any
        if agent_id is not None:
            key, which = literal_column("''"), r.agent_key == agent_id
        elif group_by == "agent":
            key, which = r.agent_key, r.agent_key != ALL_AGENTS
        else:
            key = literal_column("''") if group_by is None else getattr(r, group_by)
            which = r.agent_key == ALL_AGENTS
        stmt = (
            select(
                self._bucket(r.hour),
                key,
                *(func.sum(getattr(r, name)) for name in SUMS),
            )
            .where(r.hour >= since, r.hour < until, which)
            .group_by(*_GROUP[: 1 if group_by is None or agent_id is not None else 2])
        )
        dim = DIMENSIONS[group_by] if agent_id is None else 0
        return [HourFigures(*_key(row, dim), *_sums(row[2:])) for row in (await self._s.execute(stmt)).all()]

    # -- computing from the records --------------------------------------------------------------------
    async def _thresholds(self) -> dict[str, int]:
        rows = (await self._s.execute(select(QueueRow.id, QueueRow.service_level))).all()
        return {str(q): int((sl or {}).get("answer_within_s", DEFAULT_ANSWER_WITHIN_S)) for q, sl in rows}

    async def _compute(
        self, since: datetime, until: datetime, agent_id: str | None, dim: int | None
    ) -> list[HourFigures]:
        """Figures per hour and (queue, site, line, agent) when ``dim`` is None, else per hour and the one
        dimension ``dim`` (1-4; 0 for none), summed in the database."""
        figures: dict[Key, HourFigures] = {}
        first = 5 if dim is None else 2

        def at(row: Sequence[Any]) -> HourFigures:
            key = _key(row, dim)
            if key not in figures:
                figures[key] = HourFigures(*key)
            return figures[key]

        for row in await self._contacts(since, until, agent_id, dim):
            f = at(row)
            v = row[first:]
            f.contacts, f.answered, f.answered_in_sl, f.abandoned = int(v[0]), int(v[1]), int(v[2]), int(v[3])
            f.wait_sum_s, f.handled, f.handle_sum_s = float(v[4]), int(v[5]), float(v[6])
            f.responded, f.frt_sum_s = int(v[7]), float(v[8])
            f.agent_hours = (1 if f.agent_id and f.answered else 0) if dim is None else int(v[9])
        for row in await self._csat(since, until, agent_id, dim):
            f = at(row)
            f.csat_count, f.csat_sum = int(row[first]), int(row[first + 1])
        for name, rows in (
            ("commendations", await self._commendations(since, until, agent_id, dim)),
            ("complaints", await self._complaints(since, until, agent_id, dim)),
            ("cases", await self._cases(since, until, agent_id, dim)),
            ("saved", await self._saved(since, until, agent_id, dim)),
            ("transferred", await self._transfers(since, until, agent_id, dim)),
        ):
            for row in rows:
                setattr(at(row), name, int(row[first]))
        return list(figures.values())

    async def _rows(self, stmt: Any, dim: int | None, contacts: bool = False) -> Sequence[Any]:
        grouped = stmt.group_by(*_GROUP)
        if dim is None:
            return (await self._s.execute(grouped)).all()
        labelled = stmt.with_only_columns(
            *(c.label(f"c{i}") for i, c in enumerate(stmt.selected_columns)), maintain_column_froms=True
        ).group_by(*_GROUP)
        cols = list(labelled.subquery().c)
        values: list[Any] = [func.sum(c) for c in cols[5:]]
        if contacts:  # agent-hours: cells of (hour, queue, site, line, agent) where the agent answered
            values.append(func.sum(case((and_(cols[6] > 0, cols[4] != ""), 1), else_=0)))
        key = cols[dim] if dim else literal_column("''")
        outer = select(self._bucket(cols[0]), key, *values).group_by(*_GROUP[: 2 if dim else 1])
        return (await self._s.execute(outer)).all()

    async def _contacts(
        self, since: datetime, until: datetime, agent_id: str | None, dim: int | None
    ) -> Sequence[Any]:
        c, a = ConversationRow, aliased(AgentRow)
        thresholds = await self._thresholds()
        within: Any = (
            case(thresholds, value=c.queue, else_=DEFAULT_ANSWER_WITHIN_S)
            if thresholds
            else DEFAULT_ANSWER_WITHIN_S
        )
        wait = self._secs(c.assigned_at, c.created_at)
        handle = self._secs(c.resolved_at, c.assigned_at)
        answered = c.assigned_at.is_not(None)
        stmt = (
            select(
                self._hour(c.created_at),
                c.queue,
                func.coalesce(a.site, CustomerRow.home_site, literal_column(f"'{NONE}'")),
                c.business_line,
                func.coalesce(c.agent_id, literal_column("''")),
                func.count(),
                func.count(c.assigned_at),
                func.coalesce(func.sum(case((and_(answered, wait <= within), 1), else_=0)), 0),
                func.coalesce(
                    func.sum(case((and_(c.status == "abandoned", c.assigned_at.is_(None)), 1), else_=0)), 0
                ),
                func.coalesce(func.sum(wait), 0.0),
                func.count(handle),
                func.coalesce(func.sum(handle), 0.0),
                func.count(c.first_response_at),
                func.coalesce(func.sum(self._secs(c.first_response_at, c.created_at)), 0.0),
            )
            .select_from(c)
            .outerjoin(a, a.id == c.agent_id)
            .outerjoin(CustomerRow, CustomerRow.id == c.customer_id)
            .where(c.created_at >= since, c.created_at < until)
        )
        if agent_id is not None:
            stmt = stmt.where(c.agent_id == agent_id)
        return await self._rows(stmt, dim, contacts=True)

    async def _csat(
        self, since: datetime, until: datetime, agent_id: str | None, dim: int | None
    ) -> Sequence[Any]:
        r, a = CsatRow, aliased(AgentRow)
        stmt = (
            select(
                self._hour(r.at),
                r.queue,
                func.coalesce(a.site, CustomerRow.home_site, literal_column(f"'{NONE}'")),
                r.business_line,
                func.coalesce(r.agent_id, literal_column("''")),
                func.count(),
                func.sum(r.score),
            )
            .select_from(r)
            .outerjoin(a, a.id == r.agent_id)
            .outerjoin(CustomerRow, CustomerRow.id == r.customer_id)
            .where(r.at >= since, r.at < until)
        )
        if agent_id is not None:
            stmt = stmt.where(r.agent_id == agent_id)
        return await self._rows(stmt, dim)

    async def _commendations(
        self, since: datetime, until: datetime, agent_id: str | None, dim: int | None
    ) -> Sequence[Any]:
        r, a = CommendationRow, aliased(AgentRow)
        none: ColumnElement[Any] = literal_column(f"'{NONE}'")
        stmt = (
            select(
                self._hour(r.at),
                func.coalesce(r.queue, none),
                a.site,
                func.coalesce(r.business_line, none),
                r.agent_id,
                func.count(),
            )
            .select_from(r)
            .join(a, a.id == r.agent_id)
            .where(r.at >= since, r.at < until)
        )
        if agent_id is not None:
            stmt = stmt.where(r.agent_id == agent_id)
        return await self._rows(stmt, dim)

    async def _complaints(
        self, since: datetime, until: datetime, agent_id: str | None, dim: int | None
    ) -> Sequence[Any]:
        r, a = ComplaintRow, aliased(AgentRow)
        none: ColumnElement[Any] = literal_column(f"'{NONE}'")
        stmt = (
            select(
                self._hour(r.created_at),
                func.coalesce(r.queue, none),
                func.coalesce(a.site, CustomerRow.home_site, none),
                func.coalesce(r.business_line, none),
                func.coalesce(r.agent_id, literal_column("''")),
                func.count(),
            )
            .select_from(r)
            .outerjoin(a, a.id == r.agent_id)
            .outerjoin(CustomerRow, CustomerRow.id == r.customer_id)
            .where(r.created_at >= since, r.created_at < until)
        )
        if agent_id is not None:
            stmt = stmt.where(r.agent_id == agent_id)
        return await self._rows(stmt, dim)

    def _case_keys(self, when: Any, a: Any) -> list[Any]:
        return [
            self._hour(when),
            literal_column(f"'{CASE_QUEUE}'"),
            func.coalesce(a.site, CustomerRow.home_site, literal_column(f"'{NONE}'")),
            literal_column(f"'{CASE_BUSINESS_LINE}'"),
            func.coalesce(CaseRow.agent_id, literal_column("''")),
        ]

    async def _cases(
        self, since: datetime, until: datetime, agent_id: str | None, dim: int | None
    ) -> Sequence[Any]:
        a = aliased(AgentRow)
        stmt = (
            select(*self._case_keys(CaseRow.opened_at, a), func.count())
            .select_from(CaseRow)
            .outerjoin(a, a.id == CaseRow.agent_id)
            .outerjoin(CustomerRow, CustomerRow.id == CaseRow.customer_id)
            .where(CaseRow.opened_at >= since, CaseRow.opened_at < until)
        )
        if agent_id is not None:
            stmt = stmt.where(CaseRow.agent_id == agent_id)
        return await self._rows(stmt, dim)

    async def _saved(
        self, since: datetime, until: datetime, agent_id: str | None, dim: int | None
    ) -> Sequence[Any]:
        a, ledger = aliased(AgentRow), LedgerRow
        stmt = (
            select(*self._case_keys(ledger.at, a), func.sum(ledger.amount))
            .select_from(ledger)
            .join(CaseRow, CaseRow.id == ledger.case_id)
            .outerjoin(a, a.id == CaseRow.agent_id)
            .outerjoin(CustomerRow, CustomerRow.id == CaseRow.customer_id)
            .where(ledger.at >= since, ledger.at < until, ledger.currency == SAVED_CURRENCY)
        )
        if agent_id is not None:
            stmt = stmt.where(CaseRow.agent_id == agent_id)
        return await self._rows(stmt, dim)

    async def _transfers(
        self, since: datetime, until: datetime, agent_id: str | None, dim: int | None
    ) -> Sequence[Any]:
        """Conversations transferred on, in the hour of the transfer, under the queue they left and the
        agent who held them (none when it was still waiting)."""
        t, c, a = TaskRow, ConversationRow, aliased(AgentRow)
        stmt = (
            select(
                self._hour(t.ended_at),
                t.queue_id,
                func.coalesce(a.site, CustomerRow.home_site, literal_column(f"'{NONE}'")),
                c.business_line,
                func.coalesce(t.agent_id, literal_column("''")),
                func.count(),
            )
            .select_from(t)
            .join(c, c.id == t.subject_id)
            .outerjoin(a, a.id == t.agent_id)
            .outerjoin(CustomerRow, CustomerRow.id == c.customer_id)
            .where(
                t.end_reason == TRANSFERRED,
                t.kind == "conversation",
                t.ended_at >= since,
                t.ended_at < until,
            )
        )
        if agent_id is not None:
            stmt = stmt.where(t.agent_id == agent_id)
        return await self._rows(stmt, dim)

    # -- the rollup ------------------------------------------------------------------------------------
    async def roll_up(self, since: datetime, until: datetime, at: datetime) -> int:
        state = await self._state()
        if state is not None and (since > state.rolled_until or until < state.rolled_from):
            raise InvalidInput(
                f"the rolled hours are {state.rolled_from.isoformat()} to {state.rolled_until.isoformat()}; "
                "a rollup must overlap or touch them so that no hour is left out",
                field="from",
            )
        self._day_tz = None
        per_agent = await self._compute(since, until, None, None)
        rows = [_row(f, f.agent_id) for f in per_agent]
        rows += [_row(f, ALL_AGENTS) for f in _over_agents(per_agent)]
        r = ReportHourRow
        await self._s.execute(delete(r).where(r.hour >= since, r.hour < until))
        for start in range(0, len(rows), 5_000):
            await self._s.execute(insert(r), rows[start : start + 5_000])
        if state is None:
            self._s.add(ReportStateRow(id=1, rolled_from=since, rolled_until=until, rolled_at=at))
        else:
            state.rolled_from = min(state.rolled_from, since)
            state.rolled_until = max(state.rolled_until, until)
            state.rolled_at = at
        return len(rows)


def _row(f: HourFigures, agent_key: str) -> dict[str, Any]:
    out: dict[str, Any] = {name: getattr(f, name) for name in SUMS}
    out.update(agent_key=agent_key, hour=f.hour, queue=f.queue, site=f.site, business_line=f.business_line)
    return out


def _over_agents(figures: Iterable[HourFigures]) -> list[HourFigures]:
    """The same figures summed over agents, keyed by (hour, queue, site, business line)."""
    out: dict[tuple[datetime, str, str, str], HourFigures] = {}
    for f in figures:
        key = (f.hour, f.queue, f.site, f.business_line)
        if key not in out:
            out[key] = HourFigures(*key, ALL_AGENTS)
        out[key].add(f)
    return list(out.values())
