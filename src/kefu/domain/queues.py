"""Queues: where routable work waits, with required skills, priority, a service-level target and the
escalation steps that widen who may answer as a task waits longer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from kefu.domain.agents import check_skills
from kefu.domain.errors import InvalidInput
from kefu.domain.vocabulary import CHANNELS

SiteScope = Literal["home", "all"]
# Priority classes a queue may give its own home-site-first time (seconds before any site may answer):
# ``care`` elderly and vulnerable customers, ``case`` intervention cases, ``other`` everyone else.
HOME_FIRST_CLASSES: tuple[str, ...] = ("care", "case", "other")


@dataclass(frozen=True, slots=True)
class ServiceLevel:
    answer_within_s: int = 20
    target_pct: float = 80.0


@dataclass(frozen=True, slots=True)
class EscalationStep:
    after_s: int
    skills: dict[str, int]
    sites: SiteScope = "all"


@dataclass(slots=True)
class Queue:
    id: str
    name: str
    business_line: str
    channels: tuple[str, ...]
    skills: dict[str, int]
    priority: int
    service_level: ServiceLevel
    created_at: datetime
    updated_at: datetime
    escalation: tuple[EscalationStep, ...] = field(default_factory=tuple)
    home_first_s: dict[str, int] = field(default_factory=dict)  # by class; absent: kefu's default


def check_home_first(home_first_s: Mapping[str, int]) -> None:
    """Home-site-first times are per known priority class, 0 to 86400 seconds."""
    for name, seconds in home_first_s.items():
        if name not in HOME_FIRST_CLASSES:
            raise InvalidInput(
                f"unknown priority class {name!r}; classes are {', '.join(HOME_FIRST_CLASSES)}",
                field=f"home_first_s.{name}",
            )
        if not 0 <= seconds <= 86_400:
            raise InvalidInput("home_first_s must be 0 to 86400 seconds", field=f"home_first_s.{name}")


def check_queue_shape(
    channels: Sequence[str],
    skills: Mapping[str, int],
    escalation: Sequence[EscalationStep],
    known: frozenset[str],
    service_level: ServiceLevel,
) -> None:
    """A queue must serve known channels, need known skills, and escalate at increasing times."""
    if not channels:
        raise InvalidInput("a queue serves at least one channel", field="channels")
    for channel in channels:
        if channel not in CHANNELS:
            raise InvalidInput(f"unknown channel {channel!r}", field="channels")
    check_skills(skills, known)
    last = 0
    for i, step in enumerate(escalation):
        if step.after_s <= last:
            raise InvalidInput(
                "escalation steps must come at strictly increasing after_s, all above 0",
                field=f"escalation.{i}.after_s",
            )
        last = step.after_s
        check_skills(step.skills, known)
    if not 1 <= service_level.answer_within_s <= 86_400:
        raise InvalidInput("answer_within_s must be 1 to 86400", field="service_level.answer_within_s")
    if not 0 < service_level.target_pct <= 100:
        raise InvalidInput("target_pct must be above 0 and at most 100", field="service_level.target_pct")


def pick_queue(queues: Sequence[Queue], business_line: str, channel: str) -> Queue | None:
    """The queue for a contact: the one named after its business line if it serves the channel, else the
    highest-priority queue of that line serving the channel."""
    serving = [q for q in queues if q.business_line == business_line and channel in q.channels]
    for q in serving:
        if q.id == business_line:
            return q
    return max(serving, key=lambda q: (q.priority, q.id), default=None)
