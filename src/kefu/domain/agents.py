"""Agents: the people who answer, with skills (levels 1-5) and capacity per channel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from kefu.domain.errors import InvalidInput
from kefu.domain.vocabulary import (
    CHANNELS,
    MAX_CAPACITY_PER_CHANNEL,
    MAX_SKILL_LEVEL,
    MIN_SKILL_LEVEL,
    Presence,
)


@dataclass(slots=True)
class Agent:
    id: str
    name: str
    site: str
    skills: dict[str, int]
    capacity: dict[str, int]
    created_at: datetime
    updated_at: datetime
    presence: Presence = "offline"
    presence_since: datetime | None = None
    user_id: str | None = None
    # Why the agent is away: kefu's ``missed`` (an unanswered offer), or the agent's own break reason.
    presence_reason: str | None = None


# The reasons an agent gives for a break (小休): 用餐, 培训, 会议.
AWAY_REASONS: tuple[str, ...] = ("meal", "training", "meeting")


def check_skills(skills: Mapping[str, int], known: frozenset[str]) -> dict[str, int]:
    """Skills must be known names with levels 1-5; the error names the first offender."""
    for name, level in skills.items():
        if name not in known:
            raise InvalidInput(
                f"unknown skill {name!r}; known skills are {', '.join(sorted(known))}",
                field=f"skills.{name}",
            )
        if not MIN_SKILL_LEVEL <= level <= MAX_SKILL_LEVEL:
            raise InvalidInput(
                f"skill {name!r} has level {level}; levels run from {MIN_SKILL_LEVEL} to {MAX_SKILL_LEVEL}",
                field=f"skills.{name}",
            )
    return dict(skills)


def check_capacity(capacity: Mapping[str, int]) -> dict[str, int]:
    """Capacity is how many contacts at once per channel: 0 to 20, channels from the vocabulary."""
    for channel, n in capacity.items():
        if channel not in CHANNELS:
            raise InvalidInput(
                f"unknown channel {channel!r}; channels are {', '.join(CHANNELS)}",
                field=f"capacity.{channel}",
            )
        if not 0 <= n <= MAX_CAPACITY_PER_CHANNEL:
            raise InvalidInput(
                f"capacity for {channel!r} must be between 0 and {MAX_CAPACITY_PER_CHANNEL}",
                field=f"capacity.{channel}",
            )
    return dict(capacity)
