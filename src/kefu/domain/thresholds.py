"""Wallboard thresholds: per queue, when a figure turns a tile amber (warn) or red (alarm).

Four figures, two directions. Higher is worse for the longest wait and the number waiting; lower is worse for
the last 15 minutes' service level and the agents available for the queue. A limit left ``None`` is not
checked, except that the longest wait and service level fall back to limits drawn from the queue's own
service-level target (``effective``), so every queue alarms on them out of the box.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal

from kefu.domain.commands import Command
from kefu.domain.errors import InvalidInput
from kefu.domain.events import Event

Level = Literal["ok", "warn", "alarm"]
LEVELS: tuple[Level, ...] = ("ok", "warn", "alarm")

# Default limits from the queue's target: a wait past the answer time warns, three times it alarms; a
# service level under target warns, twenty points under it alarms.
WAIT_ALARM_FACTOR = 3
SL_ALARM_MARGIN_PCT = 20.0


@dataclass(frozen=True, slots=True)
class Thresholds:
    """One queue's limits; ``None`` leaves a figure unchecked (or on its default, see ``effective``)."""

    queue_id: str
    wait_warn_s: int | None = None
    wait_alarm_s: int | None = None
    sl_warn_pct: float | None = None
    sl_alarm_pct: float | None = None
    waiting_warn: int | None = None
    waiting_alarm: int | None = None
    available_warn: int | None = None
    available_alarm: int | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SetQueueThresholds(Command[Thresholds]):
    """Replace a queue's wallboard limits (all of them: a limit left out is cleared)."""

    queue_id: str
    wait_warn_s: int | None = None
    wait_alarm_s: int | None = None
    sl_warn_pct: float | None = None
    sl_alarm_pct: float | None = None
    waiting_warn: int | None = None
    waiting_alarm: int | None = None
    available_warn: int | None = None
    available_alarm: int | None = None


@dataclass(frozen=True, slots=True)
class QueueThresholdsChanged(Event):
    name: ClassVar[str] = "queue.thresholds_changed"
    queue_id: str
    at: datetime


def check(t: Thresholds) -> Thresholds:
    """Limits are not negative, percentages lie in 0-100, and the alarm is past the warning in the worse
    direction (a wait alarms at or above its warning, a service level at or below it)."""
    for name in ("wait_warn_s", "wait_alarm_s", "waiting_warn", "waiting_alarm"):
        value = getattr(t, name)
        if value is not None and value < 0:
            raise InvalidInput(f"{name} must not be negative", field=name)
    for name in ("available_warn", "available_alarm"):
        value = getattr(t, name)
        if value is not None and value < 0:
            raise InvalidInput(f"{name} must not be negative", field=name)
    for name in ("sl_warn_pct", "sl_alarm_pct"):
        value = getattr(t, name)
        if value is not None and not 0 <= value <= 100:
            raise InvalidInput(f"{name} must lie between 0 and 100", field=name)
    for warn, alarm, higher in (
        ("wait_warn_s", "wait_alarm_s", True),
        ("waiting_warn", "waiting_alarm", True),
        ("sl_warn_pct", "sl_alarm_pct", False),
        ("available_warn", "available_alarm", False),
    ):
        w, a = getattr(t, warn), getattr(t, alarm)
        if w is not None and a is not None and (a < w if higher else a > w):
            side = "at or above" if higher else "at or below"
            raise InvalidInput(f"{alarm} must be {side} {warn}", field=alarm)
    return t


def effective(t: Thresholds, answer_within_s: int, target_pct: float) -> Thresholds:
    """The limits the wallboard applies: the queue's own, wait and service level filled from its target."""
    return Thresholds(
        queue_id=t.queue_id,
        wait_warn_s=t.wait_warn_s if t.wait_warn_s is not None else answer_within_s,
        wait_alarm_s=t.wait_alarm_s if t.wait_alarm_s is not None else WAIT_ALARM_FACTOR * answer_within_s,
        sl_warn_pct=t.sl_warn_pct if t.sl_warn_pct is not None else target_pct,
        sl_alarm_pct=t.sl_alarm_pct
        if t.sl_alarm_pct is not None
        else max(0.0, target_pct - SL_ALARM_MARGIN_PCT),
        waiting_warn=t.waiting_warn,
        waiting_alarm=t.waiting_alarm,
        available_warn=t.available_warn,
        available_alarm=t.available_alarm,
        updated_at=t.updated_at,
    )


def level(value: float | None, warn: float | None, alarm: float | None, higher_is_worse: bool) -> Level:
    """Where ``value`` stands against one pair of limits; an unknown value is ``ok``."""
    if value is None:
        return "ok"

    def past(limit: float | None) -> bool:
        return limit is not None and (value >= limit if higher_is_worse else value <= limit)

    return "alarm" if past(alarm) else "warn" if past(warn) else "ok"


def worst(levels: list[Level]) -> Level:
    return max(levels, key=LEVELS.index, default="ok")
