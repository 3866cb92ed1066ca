"""The routing engine's inputs (specs, configuration) and read-only outputs (views, live figures).

Specs are plain frozen dataclasses so the service layer can build them from database rows or API
payloads; the engine validates them on the way in and keeps its own mutable state elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from kefu.routing.errors import InvalidRoutingSpec

CHANNELS = ("chat", "voice", "callback")
ELDERLY_CARE_SKILL = "elderly_care"


class Presence(StrEnum):
    AVAILABLE = "available"
    AWAY = "away"
    OFFLINE = "offline"


class Strategy(StrEnum):
    """How to choose among equally skilled agents (after Asterisk's leastrecent, fewestcalls, rrmemory)."""

    LONGEST_IDLE = "longest_idle"
    LEAST_OCCUPIED = "least_occupied"
    ROUND_ROBIN = "round_robin"


class TaskState(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    ASSIGNED = "assigned"
    ENDED = "ended"


class SiteScope(StrEnum):
    HOME = "home"
    ALL = "all"


def _check_skills(skills: Mapping[str, int], what: str) -> tuple[tuple[str, int], ...]:
    for name, level in skills.items():
        if not name or not 1 <= level <= 5:
            raise InvalidRoutingSpec(f"{what}: skill {name!r} needs a level from 1 to 5, got {level!r}")
    return tuple(sorted(skills.items()))


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """After ``after_s`` seconds of waiting a task needs only ``skills`` and, if ``sites`` is ``all``,
    may go to any site rather than only the customer's home site."""

    after_s: float
    skills: Mapping[str, int]
    sites: SiteScope = SiteScope.HOME


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """A queue: the skills its tasks need at first, its priority and how eligibility relaxes over time."""

    queue_id: str
    skills: Mapping[str, int]
    priority: int = 0
    escalation: tuple[EscalationStep, ...] = ()

    def steps(self) -> tuple[tuple[tuple[tuple[str, int], ...], SiteScope, float], ...]:
        """Validated steps as (skills, sites, after_s); step 0 is the queue itself, at the home site."""
        out = [(_check_skills(self.skills, self.queue_id), SiteScope.HOME, 0.0)]
        last = 0.0
        for step in self.escalation:
            if step.after_s <= last:
                raise InvalidRoutingSpec(f"{self.queue_id}: escalation after_s must increase and be > 0")
            last = step.after_s
            out.append((_check_skills(step.skills, self.queue_id), SiteScope(step.sites), step.after_s))
        return tuple(out)


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """One unit of routable work. ``vulnerable`` (elderly or vulnerable customer) boosts priority and
    prefers agents with the ``elderly_care`` skill; ``home_site`` keeps it at that site until an
    escalation step opens all sites, or for at most ``home_s`` seconds of waiting when that is set
    (``0``: any site from the start). ``preferred_agent`` is offered the task first when idle and
    eligible (a case's re-contact goes back to the specialist who already spoke to the payer)."""

    task_id: str
    queue_id: str
    channel: str
    enqueued_at: float
    priority: int = 0
    vulnerable: bool = False
    home_site: str | None = None
    home_s: float | None = None
    preferred_agent: str | None = None


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """A person who answers: site, skills (level 1-5) and how many tasks per channel at once."""

    agent_id: str
    site: str
    skills: Mapping[str, int]
    capacity: Mapping[str, int] = field(default_factory=lambda: {"chat": 1, "voice": 1, "callback": 1})
    presence: Presence = Presence.OFFLINE


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Engine-wide policy. ``aging_per_s`` adds priority points per second waited, so nothing starves:
    a task waiting 10 minutes at the default gains 10 points. An agent who declines or misses a task is
    not offered it again for ``decline_cooldown_s`` while someone else eligible is available; after
    ``max_missed_offers`` unanswered offers in a row the agent is set away (reason ``missed``)."""

    offer_timeout_s: float = 20.0
    max_missed_offers: int = 1
    decline_cooldown_s: float = 30.0
    wrap_up_s: float = 10.0
    wrap_up_extend_s: float = 60.0  # an agent may extend a wrap-up once, by at most this much
    strategy: Strategy = Strategy.LONGEST_IDLE
    aging_per_s: float = 1 / 60
    vulnerable_boost: int = 10

    def __post_init__(self) -> None:
        lows = (self.wrap_up_s, self.wrap_up_extend_s, self.aging_per_s, self.decline_cooldown_s)
        if self.offer_timeout_s <= 0 or min(lows) < 0:
            raise InvalidRoutingSpec("offer timeout must be > 0; wrap-up, aging and cool-down must be >= 0")
        if self.max_missed_offers < 1:
            raise InvalidRoutingSpec("max_missed_offers must be at least 1")
        Strategy(self.strategy)


@dataclass(frozen=True, slots=True)
class OfferView:
    offer_id: str
    task_id: str
    agent_id: str
    channel: str
    created_at: float
    expires_at: float


@dataclass(frozen=True, slots=True)
class TaskView:
    """A task as the engine sees it. ``priority`` includes the queue's priority and the vulnerable boost;
    ``rank`` is the aged ordering key (lower is served first); ``excluded`` are agents who declined or
    missed it at its current step, whose cool-down has not ended and who have not been away since;
    ``excluded_until`` says when each cool-down ends. ``home_site`` is None once all sites may take it."""

    task_id: str
    queue_id: str
    channel: str
    state: TaskState
    step: int
    enqueued_at: float
    priority: int
    rank: float
    home_site: str | None
    vulnerable: bool
    excluded: frozenset[str]
    agent_id: str | None
    offer_id: str | None
    excluded_until: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlaceView:
    """A task's place in line: ``ahead`` waiting tasks of its queue and channel rank before it (0 once it
    is offered or assigned); ``servers`` is the capacity on its channel of the available agents who may
    take it now."""

    task_id: str
    queue_id: str
    channel: str
    state: TaskState
    ahead: int
    servers: int
    enqueued_at: float


@dataclass(frozen=True, slots=True)
class AgentView:
    agent_id: str
    site: str
    presence: Presence
    load: Mapping[str, int]
    capacity: Mapping[str, int]
    wrap_up_until: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """Live figures for one queue. ``agents`` counts agents who meet the queue's own skills, by site and
    state: ``available`` (free for new work), ``busy`` (has work, an offer or wrap-up), ``away``."""

    queue_id: str
    waiting: int
    longest_wait_s: float
    agents: Mapping[str, Mapping[str, int]]
