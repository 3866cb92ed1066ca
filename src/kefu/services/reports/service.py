"""Service reports and agent scorecards: hourly partial sums grouped, bucketed and turned into figures.

Every figure is a ratio of additive sums (docs/reports.md), so the store hands back sums per hour and this
module adds them up by group and interval before dividing. Windows are whole hours: ``from`` is rounded
down and ``to`` up to the hour. Days are calendar days in the requested time zone (UTC by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kefu.domain import reports as rules
from kefu.domain.commands import Command
from kefu.domain.errors import Forbidden, InvalidInput, NotFound
from kefu.services.authz import require
from kefu.services.context import Context
from kefu.services.reports_ports import HourFigures

GroupBy = Literal["queue", "site", "business_line", "agent"]
Interval = Literal["hour", "day"]
GROUP_BYS: tuple[str, ...] = ("queue", "site", "business_line", "agent")
INTERVALS: tuple[str, ...] = ("hour", "day")
MAX_SPAN = rules.MAX_SPAN
MAX_HOURLY_SPAN = rules.MAX_HOURLY_SPAN
HOUR = timedelta(hours=1)
NO_AGENT = "none"


@dataclass(frozen=True, slots=True)
class ReportRow:
    bucket: datetime
    key: str
    figures: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Window:
    since: datetime
    until: datetime
    tz: ZoneInfo


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone {tz!r}", field="tz") from exc


def window(since: datetime, until: datetime, tz: str = "UTC", max_span: timedelta = MAX_SPAN) -> Window:
    """Check and round a report window to whole hours."""
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidInput("from and to need a time zone, e.g. 2026-11-01T00:00:00Z", field="from")
    if since >= until:
        raise InvalidInput("from must be before to", field="from")
    if until - since > max_span:
        raise InvalidInput(f"a report covers at most {max_span.days} days", field="to")
    start = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    end = until.astimezone(UTC)
    if end != end.replace(minute=0, second=0, microsecond=0):
        end = end.replace(minute=0, second=0, microsecond=0) + HOUR
    return Window(start, end, _zone(tz))


def today_or(ctx: Context, since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """The window asked for, a missing end filled in: by default today in the centre's zone (by the injected
    clock, midnight to midnight); ``from`` alone runs to the end of its local day, ``to`` alone from the
    start of the local day it ends in."""
    zone = ZoneInfo(ctx.settings.local_timezone)

    def midnight(at: datetime) -> datetime:
        local = at.astimezone(zone)
        return datetime.combine(local.date(), time(0), tzinfo=zone).astimezone(UTC)

    def next_midnight(at: datetime) -> datetime:
        local = at.astimezone(zone)
        return datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)

    if since is None and until is None:
        now = ctx.clock.now()
        return midnight(now), next_midnight(now)
    if since is None:
        assert until is not None  # noqa: S101  # narrowed for mypy: both None returned above
        return midnight(until - timedelta(microseconds=1)), until
    return since, until if until is not None else next_midnight(since)


def axis(w: Window, interval: Interval) -> list[datetime]:
    """Every bucket of the window in order, empty ones included: a continuous time axis."""
    out: list[datetime] = []
    if interval == "hour":
        at = w.since
        while at < w.until:
            out.append(at.astimezone(w.tz))
            at += HOUR
        return out
    day = w.since.astimezone(w.tz).date()
    while (start := datetime.combine(day, time(0), tzinfo=w.tz)) < w.until:
        out.append(start)
        day += timedelta(days=1)
    return out


async def site_names(ctx: Context) -> dict[str, tuple[str, str]]:
    """Each site's (English, Chinese) name by id, for reports that speak the reader's language."""
    require(ctx.actor, "reports.read")
    async with ctx.uow:
        return {s.id: (s.name, s.name_zh) for s in await ctx.uow.sites.list()}


def _bucket(hour: datetime, interval: Interval, tz: ZoneInfo) -> datetime:
    if interval == "hour":
        return hour.astimezone(tz)
    local = hour.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _key(f: HourFigures, group_by: GroupBy) -> str:
    if group_by == "agent":
        return f.agent_id or NO_AGENT
    return str(getattr(f, group_by))


def group(
    hours: list[HourFigures], group_by: GroupBy | None, interval: Interval | None, tz: ZoneInfo
) -> list[ReportRow]:
    """Sum hours into (bucket, key) rows; ``None`` for either means one bucket or one key for all."""
    sums: dict[tuple[datetime, str], HourFigures] = {}
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for f in hours:
        bucket = epoch if interval is None else _bucket(f.hour, interval, tz)
        key = "all" if group_by is None else _key(f, group_by)
        if (bucket, key) not in sums:
            sums[(bucket, key)] = HourFigures(bucket, "", "", "", "")
        sums[(bucket, key)].add(f)
    return [ReportRow(b, k, rules.figures(s)) for (b, k), s in sorted(sums.items(), key=lambda kv: kv[0])]


async def service_report(
    ctx: Context,
    since: datetime,
    until: datetime,
    group_by: GroupBy,
    interval: Interval,
    tz: str = "UTC",
) -> tuple[Window, list[ReportRow]]:
    require(ctx.actor, "reports.read")
    if group_by not in GROUP_BYS:
        raise InvalidInput(f"group_by must be one of {', '.join(GROUP_BYS)}", field="group_by")
    if interval not in INTERVALS:
        raise InvalidInput(f"interval must be one of {', '.join(INTERVALS)}", field="interval")
    w = window(since, until, tz, MAX_HOURLY_SPAN if interval == "hour" else MAX_SPAN)
    day_tz = str(w.tz) if interval == "day" else None
    async with ctx.uow:
        hours = await ctx.uow.reports.hours(w.since, w.until, group_by, day_tz=day_tz)
    return w, group(hours, group_by, interval, w.tz)


@dataclass(frozen=True, slots=True)
class Scorecard:
    agent_id: str
    name: str
    site: str
    since: datetime
    until: datetime
    figures: dict[str, Any]
    commendations_total: int


async def scorecard(ctx: Context, agent_id: str, since: datetime, until: datetime) -> Scorecard:
    """One agent's figures over a window, and all the commendations they ever earned."""
    require(ctx.actor, "reports.scorecard")
    w = window(since, until)
    async with ctx.uow:
        agent = await ctx.uow.agents.get(agent_id)
        if agent is None:
            raise NotFound("agent", agent_id)
        if ctx.actor.role == "agent":
            own = await ctx.uow.agents.by_user_id(ctx.actor.user_id)
            if own is None or own.id != agent_id:
                raise Forbidden("agents may read only their own scorecard")
        hours = await ctx.uow.reports.hours(w.since, w.until, None, agent_id=agent_id)
        total = await ctx.uow.quality.commendation_count(agent_id)
    rows = group(hours, None, None, w.tz)
    figs = rows[0].figures if rows else rules.figures(HourFigures(w.since, "", "", "", agent_id))
    return Scorecard(agent.id, agent.name, agent.site, w.since, w.until, figs, total)


@dataclass(frozen=True, slots=True)
class RollUpReports(Command[dict[str, Any]]):
    """Recompute the hourly report rollup (``kefu reports rollup``)."""

    since: datetime | None = None
    until: datetime | None = None
    lookback_h: int = 48


async def roll_up(cmd: RollUpReports, ctx: Context) -> dict[str, Any]:
    """Recompute the hourly rollup; by default the last ``lookback_h`` hours up to the last whole hour.

    Contacts are counted in the hour they arrived, and a contact may be answered, resolved or rated after
    that hour ends; re-rolling the recent hours each run keeps those late facts in the rollup."""
    require(ctx.actor, "reports.rollup")
    since, until, lookback_h = cmd.since, cmd.until, cmd.lookback_h
    now = ctx.clock.now()
    end = until or now.replace(minute=0, second=0, microsecond=0)
    async with ctx.uow:
        rolled = await ctx.uow.reports.rolled_until()
        start = since or (
            end - timedelta(hours=lookback_h)
            if rolled is None
            else min(rolled, end) - timedelta(hours=lookback_h)
        )
        w = window(start, end, max_span=timedelta(days=3660))
        rows = await ctx.uow.reports.roll_up(w.since, w.until, now)
        await ctx.audit(
            "reports.rolled_up", "report", "hours", since=w.since.isoformat(), until=w.until.isoformat()
        )
        await ctx.uow.commit()
    return {"since": w.since.isoformat(), "until": w.until.isoformat(), "rows": rows}


async def totals(
    ctx: Context, since: datetime, until: datetime, group_by: GroupBy, tz: str = "UTC"
) -> tuple[Window, list[ReportRow]]:
    """One row per group over the whole window (the bars of the per-site charts)."""
    require(ctx.actor, "reports.read")
    w = window(since, until, tz)
    async with ctx.uow:
        hours = await ctx.uow.reports.hours(w.since, w.until, group_by)
    return w, group(hours, group_by, None, w.tz)
