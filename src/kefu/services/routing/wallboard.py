"""The supervisor wallboard: one snapshot of every queue's live figures and of the agents by site and state.

The centre line adds the queues' counts up with each transferred contact counted once (``centre_figures``).
Queue figures come from ``Router.stats`` (the same numbers as ``GET /api/v1/queues/{id}/stats``); agents'
states come from the routing engine, which knows who is working right now, not only who said they are
available. An agent is ``busy`` when available and holding work, an offer or wrap-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kefu.domain.errors import Unavailable
from kefu.services.authz import require
from kefu.services.context import Context
from kefu.services.routing.router import QueueStats, Router

AGENT_STATES: tuple[str, ...] = ("available", "busy", "away", "offline")


@dataclass(frozen=True, slots=True)
class QueueLine:
    """One queue on the wallboard: its names, figures, and whether it is below its service-level target."""

    id: str
    name: str
    business_line: str
    stats: QueueStats
    below_target: bool


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


async def snapshot(ctx: Context, router: Router | None) -> Wallboard:
    """All queues' live figures and the agents per site and state, as of now."""
    require(ctx.actor, "queues.stats")
    if router is None:
        raise Unavailable("routing is not running in this process")
    async with ctx.uow:
        queues = await ctx.uow.queues.list()
        sites = await ctx.uow.sites.list()
    lines = []
    for queue in queues:
        stats = await router.stats(queue.id, ctx)
        lines.append(QueueLine(queue.id, queue.name, queue.business_line, stats, below_target(stats)))
    counts: dict[str, dict[str, int]] = {s.id: dict.fromkeys(AGENT_STATES, 0) for s in sites}
    now = ctx.clock.now().timestamp()
    for agent in router.engine.agents():
        state = str(agent.presence)
        working = any(agent.load.values()) or any(until > now for until in agent.wrap_up_until.values())
        if state == "available" and (working or router.engine.offers_for(agent.agent_id)):
            state = "busy"
        counts.setdefault(agent.site, dict.fromkeys(AGENT_STATES, 0))[state] += 1
    names = {s.id: (s.name, s.name_zh) for s in sites}
    site_lines = [
        SiteLine(site, *names.get(site, (site, site)), agents=by_state) for site, by_state in counts.items()
    ]
    centre = CentreLine(
        recent=centre_figures([line.stats.counts.get("recent", {}) for line in lines]),
        today=centre_figures([line.stats.counts.get("today", {}) for line in lines]),
    )
    return Wallboard(ctx.clock.now(), lines, site_lines, centre)
