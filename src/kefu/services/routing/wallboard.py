"""The supervisor wallboard: one snapshot of every queue's live figures and of the agents by site and state.

The centre line adds the queues' counts up with each transferred contact counted once (``centre_figures``).
Queue figures come from ``Router.stats`` (the same numbers as ``GET /api/v1/queues/{id}/stats``); agents'
states come from the routing engine, which knows who is working right now, not only who said they are
available. An agent is ``busy`` when available and holding work, an offer or wrap-up.

Each queue's tile has a level (``ok``, ``warn``, ``alarm``) from its thresholds (``kefu.domain.thresholds``)
and two rules that need none: customers waiting while nothing was answered in the last 15 minutes is an alarm
(no service level to compare, but nobody is being served), and so is a queue with customers waiting and no
agent available for it (with nobody waiting, a warning). Centre-wide alarms name the queue; one more says when
held money waits on a decision and no anti-fraud specialist is available.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from kefu.domain.errors import Unavailable
from kefu.domain.thresholds import Level, Thresholds, effective, level, worst
from kefu.services.authz import require
from kefu.services.context import Context
from kefu.services.routing.router import QueueStats, Router

AGENT_STATES: tuple[str, ...] = ("available", "busy", "away", "offline")
FRAUD_QUEUE = "anti_fraud"  # where intervention cases wait for a specialist
AGENTS_SHOWN = 1000  # agents listed by name; the counts per site cover everyone
HELD_CASES_READ = 500  # open cases read for the held-money figure


@dataclass(frozen=True, slots=True)
class Alarm:
    """One thing a supervisor must act on: ``code`` ``unstaffed`` (no agent available in the whole centre),
    ``unanswered``, ``no_agent``, ``below_target``, ``threshold`` (``metric`` says which) or
    ``held_unattended``."""

    code: str
    level: Level
    queue_id: str | None = None
    queue_name: str | None = None
    metric: str | None = None
    count: int = 0
    amounts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QueueLine:
    """One queue on the wallboard: its names, figures, and whether it is below its service-level target."""

    id: str
    name: str
    business_line: str
    stats: QueueStats
    below_target: bool
    thresholds: Thresholds | None = None
    available: int = 0  # agents available who meet the queue's skills, all sites
    level: Level = "ok"
    unanswered: bool = False  # customers wait and nothing was answered in the last 15 minutes
    breaches: dict[str, Level] = field(default_factory=dict)  # metric -> warn/alarm


@dataclass(frozen=True, slots=True)
class AgentLine:
    """One agent on the wallboard: where, in which state since when, and why (kefu's ``missed`` or a
    supervisor's reason)."""

    id: str
    name: str
    site: str
    state: str
    since: datetime | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class SiteLine:
    site: str
    name: str
    name_zh: str
    agents: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CentreFigures:
    """The whole centre over one window: each contact counted once, however many queues it went through."""

    answered: int
    abandoned: int
    transferred: int
    service_level_pct: float | None


@dataclass(frozen=True, slots=True)
class CentreLine:
    recent: CentreFigures  # last 15 minutes
    today: CentreFigures


@dataclass(frozen=True, slots=True)
class Wallboard:
    at: datetime
    queues: list[QueueLine]
    sites: list[SiteLine]
    centre: CentreLine | None = None
    agents: list[AgentLine] = field(default_factory=list)
    alarms: list[Alarm] = field(default_factory=list)
    held: dict[str, int] = field(default_factory=dict)  # money held on open decide cases, per currency
    held_cases: int = 0


def centre_figures(counts: list[dict[str, int]]) -> CentreFigures:
    """Queues' counts added up, a transferred contact once: an answer (or abandon) in a queue that another
    queue had already answered and transferred on is the same contact's, counted where it was first
    answered. Service level = first answers within their queue's target ÷ (first answers + abandoned)."""

    def total(name: str) -> int:
        return sum(c.get(name, 0) for c in counts)

    answered = total("answered") - total("transferred_in")
    abandoned = total("abandoned") - total("abandoned_after_answer")
    in_target = total("in_target") - total("transferred_in_in_target")
    offered = answered + abandoned
    return CentreFigures(
        answered=answered,
        abandoned=abandoned,
        transferred=total("transferred"),
        service_level_pct=None if offered == 0 else round(100.0 * in_target / offered, 1),
    )


def below_target(stats: QueueStats) -> bool:
    """Below target when the last 15 minutes' service level is known and under the queue's target."""
    return stats.service_level_pct is not None and stats.service_level_pct < stats.target_pct


def judge(queue_id: str, stats: QueueStats, limits: Thresholds | None, available: int) -> QueueLine:
    """The queue's level and breaches from its figures, its thresholds and the two rules needing none."""
    t = effective(limits or Thresholds(queue_id), stats.answer_within_s, stats.target_pct)
    breaches: dict[str, Level] = {}
    checks: tuple[tuple[str, float | None, float | None, float | None, bool], ...] = (
        (
            "longest_wait",
            stats.longest_wait_s if stats.waiting else None,
            t.wait_warn_s,
            t.wait_alarm_s,
            True,
        ),
        ("waiting", stats.waiting, t.waiting_warn, t.waiting_alarm, True),
        ("service_level", stats.service_level_pct, t.sl_warn_pct, t.sl_alarm_pct, False),
        ("available", available, t.available_warn, t.available_alarm, False),
    )
    for metric, value, warn, alarm, higher in checks:
        found = level(value, warn, alarm, higher)
        if found != "ok":
            breaches[metric] = found
    unanswered = stats.waiting > 0 and stats.answered == 0
    if unanswered:
        breaches["unanswered"] = "alarm"
    if available == 0:
        breaches["no_agent"] = "alarm" if stats.waiting else "warn"
    return QueueLine(
        queue_id,
        "",
        "",
        stats,
        below_target(stats),
        thresholds=t,
        available=available,
        level=worst(list(breaches.values())),
        unanswered=unanswered,
        breaches=breaches,
    )


def _alarms(lines: list[QueueLine], held: dict[str, int], held_cases: int, specialists: int) -> list[Alarm]:
    """Centre-wide alarms, worst first: one per queue and rule, then held money nobody can decide on."""
    out: list[Alarm] = []
    # Nobody available anywhere is one alarm for the centre, not a warning per quiet queue.
    unstaffed = bool(lines) and all(line.available == 0 for line in lines)
    if unstaffed:
        waiting = sum(line.stats.waiting for line in lines)
        out.append(Alarm("unstaffed", "alarm" if waiting else "warn", count=waiting))
    for line in lines:
        for metric, found in line.breaches.items():
            if unstaffed and metric == "no_agent" and found == "warn":
                continue
            code = metric if metric in {"unanswered", "no_agent"} else "threshold"
            if metric == "service_level" and line.below_target:
                code = "below_target"
            out.append(
                Alarm(
                    code,
                    found,
                    line.id,
                    line.name,
                    metric=metric,
                    count=line.stats.waiting,
                )
            )
    if held_cases and specialists == 0:
        out.append(Alarm("held_unattended", "alarm", count=held_cases, amounts=dict(held)))
    return sorted(out, key=lambda a: a.level != "alarm")


async def snapshot(ctx: Context, router: Router | None) -> Wallboard:
    """All queues' live figures, levels and alarms, and the agents per site and state, as of now."""
    require(ctx.actor, "queues.stats")
    if router is None:
        raise Unavailable("routing is not running in this process")
    async with ctx.uow:
        queues = await ctx.uow.queues.list()
        sites = await ctx.uow.sites.list()
        limits = {t.queue_id: t for t in await ctx.uow.thresholds.list()}
        people = {a.id: a for a in await ctx.uow.agents.page(None, AGENTS_SHOWN)}
        open_cases = await ctx.uow.cases.page(None, HELD_CASES_READ, status="open")
    lines = []
    for queue in queues:
        stats = await router.stats(queue.id, ctx)
        available = sum(by_state.get("available", 0) for by_state in stats.agents.values())
        judged = judge(queue.id, stats, limits.get(queue.id), available)
        lines.append(replace(judged, name=queue.name, business_line=queue.business_line))
    counts: dict[str, dict[str, int]] = {s.id: dict.fromkeys(AGENT_STATES, 0) for s in sites}
    now = ctx.clock.now().timestamp()
    agent_lines = []
    for agent in router.engine.agents():
        state = str(agent.presence)
        working = any(agent.load.values()) or any(until > now for until in agent.wrap_up_until.values())
        if state == "available" and (working or router.engine.offers_for(agent.agent_id)):
            state = "busy"
        counts.setdefault(agent.site, dict.fromkeys(AGENT_STATES, 0))[state] += 1
        person = people.get(agent.agent_id)
        if person is not None:
            agent_lines.append(
                AgentLine(
                    person.id, person.name, agent.site, state, person.presence_since, person.presence_reason
                )
            )
    names = {s.id: (s.name, s.name_zh) for s in sites}
    site_lines = [
        SiteLine(site, *names.get(site, (site, site)), agents=by_state) for site, by_state in counts.items()
    ]
    centre = CentreLine(
        recent=centre_figures([line.stats.counts.get("recent", {}) for line in lines]),
        today=centre_figures([line.stats.counts.get("today", {}) for line in lines]),
    )
    held: dict[str, int] = {}
    decide = [c for c in open_cases if c.kind == "decide"]
    for case in decide:
        held[case.currency] = held.get(case.currency, 0) + case.amount
    fraud = next((line for line in lines if line.id == FRAUD_QUEUE), None)
    specialists = fraud.available if fraud is not None else 0
    return Wallboard(
        ctx.clock.now(),
        lines,
        site_lines,
        centre,
        agents=sorted(agent_lines, key=lambda a: (a.site, AGENT_STATES.index(a.state), a.name)),
        alarms=_alarms(lines, held, len(decide), specialists),
        held=held,
        held_cases=len(decide),
    )
