"""The staffing view: Erlang C agents needed per queue for the coming hours, beside the agents there now.

The arrival rate of each coming hour is the mean number of contacts that arrived in the same hour of the
day over the last ``lookback_days`` days; the handle time is the queue's mean handle time over those days
(``default_aht_s`` when nothing was handled). Agents counted for a queue are those whose skills meet all of
the queue's required levels, by presence (kefu keeps no shift plan, so presence is what is "scheduled").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kefu.domain import reports as rules
from kefu.domain.agents import Agent
from kefu.domain.errors import InvalidInput
from kefu.domain.queues import Queue
from kefu.services.authz import require
from kefu.services.context import Context
from kefu.staffing import erlang

DEFAULT_AHT_S = rules.DEFAULT_AHT_S
MAX_AHEAD_H = rules.MAX_AHEAD_H
MAX_LOOKBACK_D = rules.MAX_LOOKBACK_D


@dataclass(frozen=True, slots=True)
class StaffingHour:
    start: datetime
    forecast_contacts: float
    required_agents: int
    service_level: float | None
    occupancy: float | None


@dataclass(frozen=True, slots=True)
class QueueStaffing:
    queue: str
    business_line: str
    answer_within_s: int
    target_pct: float
    aht_s: float
    aht_observed: bool
    hours: list[StaffingHour]
    agents: dict[str, int] = field(default_factory=dict)


def _eligible(agent: Agent, queue: Queue) -> bool:
    return all(agent.skills.get(skill, 0) >= level for skill, level in queue.skills.items())


def plan(
    queue: Queue, arrivals: dict[int, int], days: int, aht_s: float, start: datetime, ahead: int
) -> list[StaffingHour]:
    """Erlang C for each coming hour from the mean arrivals of that hour of the day."""
    sl = queue.service_level
    out: list[StaffingHour] = []
    for i in range(ahead):
        hour = start + timedelta(hours=i)
        calls = arrivals.get(hour.hour, 0) / days
        if calls <= 0:
            out.append(StaffingHour(hour, 0.0, 0, None, None))
            continue
        figures = erlang.required_agents(calls, aht_s, sl.answer_within_s, sl.target_pct / 100)
        out.append(
            StaffingHour(
                hour,
                round(calls, 2),
                figures.agents,
                round(figures.service_level, 4),
                round(figures.occupancy, 4),
            )
        )
    return out


async def staffing(ctx: Context, ahead: int = 8, lookback_days: int = 7) -> list[QueueStaffing]:
    require(ctx.actor, "reports.read")
    if not 1 <= ahead <= MAX_AHEAD_H:
        raise InvalidInput(f"hours ahead must be between 1 and {MAX_AHEAD_H}", field="hours")
    if not 1 <= lookback_days <= MAX_LOOKBACK_D:
        raise InvalidInput(f"lookback days must be between 1 and {MAX_LOOKBACK_D}", field="lookback_days")
    now = ctx.clock.now()
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    since = start - timedelta(days=lookback_days)
    async with ctx.uow:
        queues = await ctx.uow.queues.list()
        hours = await ctx.uow.reports.hours(since, start, "queue")
        agents: list[Agent] = []
        after: str | None = None
        while True:
            batch = await ctx.uow.agents.page(after, 1000)
            agents.extend(batch)
            if len(batch) < 1000:
                break
            after = batch[-1].id
    arrivals: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    handled: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for f in hours:
        arrivals[f.queue][f.hour.hour] += f.contacts
        handled[f.queue][0] += f.handle_sum_s
        handled[f.queue][1] += f.handled
    out: list[QueueStaffing] = []
    for queue in sorted(queues, key=lambda q: q.id):
        total_s, n = handled[queue.id]
        aht = total_s / n if n else DEFAULT_AHT_S
        presence: dict[str, int] = {"available": 0, "away": 0, "offline": 0}
        for agent in agents:
            if _eligible(agent, queue):
                presence[agent.presence] = presence.get(agent.presence, 0) + 1
        out.append(
            QueueStaffing(
                queue.id,
                queue.business_line,
                queue.service_level.answer_within_s,
                queue.service_level.target_pct,
                round(aht, 2),
                n > 0,
                plan(queue, dict(arrivals[queue.id]), lookback_days, aht, start, ahead),
                presence,
            )
        )
    return out


def as_dict(s: QueueStaffing) -> dict[str, Any]:
    return {
        "queue": s.queue,
        "business_line": s.business_line,
        "answer_within_s": s.answer_within_s,
        "target_pct": s.target_pct,
        "aht_s": s.aht_s,
        "aht_observed": s.aht_observed,
        "agents": s.agents,
        "hours": [
            {
                "start": h.start.isoformat(),
                "forecast_contacts": h.forecast_contacts,
                "required_agents": h.required_agents,
                "service_level": h.service_level,
                "occupancy": h.occupancy,
            }
            for h in s.hours
        ],
    }
