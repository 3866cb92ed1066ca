"""Follow-ups (回访): the callbacks kefu schedules itself when something happens.

A rule says: after ``event`` (optionally only with a given ``outcome``, or only for elderly customers), call
the customer back ``after`` later. The callback's window is placed in local daytime (Asia/Shanghai by default,
09:00-18:00): a follow-up that falls due at night, or too late in the day to leave ``min_window`` for the
retries, waits for the next morning. Daytime itself must lie between ``EARLIEST`` and ``LATEST``, so no
configuration can schedule a follow-up at night.

Rules come from ``data/follow_ups.yaml`` by default and can be replaced by a dict or YAML text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from kefu.care.errors import InvalidFollowUpRules

CASE_RESOLVED = "case_resolved"
CONVERSATION_RESOLVED = "conversation_resolved"
EVENTS = frozenset({CASE_RESOLVED, CONVERSATION_RESOLVED})
# Bounds of "daytime" that any configuration must respect: nobody wants a 回访 call at night.
EARLIEST = time(8, 0)
LATEST = time(21, 0)


def _since_midnight(clock: time) -> timedelta:
    return timedelta(hours=clock.hour, minutes=clock.minute, seconds=clock.second)


@dataclass(frozen=True, slots=True)
class FollowUpRule:
    event: str
    after: timedelta
    reason: str
    outcome: str | None = None  # only when the event's outcome is this (e.g. "dissuaded")
    elderly_only: bool = False


@dataclass(frozen=True, slots=True)
class FollowUpRules:
    rules: tuple[FollowUpRule, ...]
    timezone: str = "Asia/Shanghai"
    day_start: time = time(9, 0)
    day_end: time = time(18, 0)
    window_length: timedelta = timedelta(hours=3)
    # Enough for the default three attempts ten minutes apart, with room for a busy agent.
    min_window: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidFollowUpRules(f"unknown timezone {self.timezone!r}", field="timezone") from None
        if not EARLIEST <= self.day_start < self.day_end <= LATEST:
            raise InvalidFollowUpRules(
                f"daytime must satisfy {EARLIEST:%H:%M} <= start < end <= {LATEST:%H:%M}", field="daytime"
            )
        day = _since_midnight(self.day_end) - _since_midnight(self.day_start)
        if not timedelta(0) < self.min_window <= self.window_length or self.min_window > day:
            raise InvalidFollowUpRules("need 0 < min_window <= window_length and a daytime that fits it")
        for rule in self.rules:
            if rule.event not in EVENTS:
                raise InvalidFollowUpRules(f"unknown event {rule.event!r}", field="event")
            if rule.after < timedelta(0):
                raise InvalidFollowUpRules("a follow-up cannot come before its event", field="after_hours")


@dataclass(frozen=True, slots=True)
class FollowUpEvent:
    """Something that happened to a customer: a case or conversation (``subject_id``) was resolved."""

    event: str
    subject_id: str
    customer_id: str
    occurred_at: datetime
    outcome: str | None = None
    elderly: bool = False


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A callback to schedule (origin ``follow_up``); ``roll_over`` is set for elderly customers."""

    customer_id: str
    reason: str
    window_start: datetime
    window_end: datetime
    event: str
    subject_id: str
    roll_over: bool


def daytime_window(due: datetime, rules: FollowUpRules) -> tuple[datetime, datetime]:
    """The first daytime window (UTC) that starts at or after ``due`` and is at least ``min_window`` long."""
    zone = ZoneInfo(rules.timezone)
    local = due.astimezone(zone)
    day = local.date()
    opens = datetime.combine(day, rules.day_start, tzinfo=zone)
    closes = datetime.combine(day, rules.day_end, tzinfo=zone)
    if local < opens:
        start = opens
    elif local + rules.min_window <= closes:
        start = local
    else:
        day += timedelta(days=1)
        start = datetime.combine(day, rules.day_start, tzinfo=zone)
        closes = datetime.combine(day, rules.day_end, tzinfo=zone)
    end = min(start + rules.window_length, closes)
    return start.astimezone(UTC), end.astimezone(UTC)


def follow_ups_for(event: FollowUpEvent, rules: FollowUpRules | None = None) -> list[FollowUp]:
    """The follow-ups ``event`` calls for, earliest first."""
    config = rules or default_follow_up_rules()
    if event.occurred_at.tzinfo is None:
        raise InvalidFollowUpRules("occurred_at must be timezone-aware", field="occurred_at")
    out: list[FollowUp] = []
    for rule in config.rules:
        if rule.event != event.event:
            continue
        if rule.outcome is not None and rule.outcome != event.outcome:
            continue
        if rule.elderly_only and not event.elderly:
            continue
        start, end = daytime_window(event.occurred_at + rule.after, config)
        out.append(
            FollowUp(
                customer_id=event.customer_id,
                reason=rule.reason,
                window_start=start,
                window_end=end,
                event=event.event,
                subject_id=event.subject_id,
                roll_over=event.elderly,
            )
        )
    return sorted(out, key=lambda f: f.window_start)


def _clock(value: Any, field: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise InvalidFollowUpRules(f"{field} must look like 09:00, got {value!r}", field=field) from None


def follow_up_rules_from_dict(data: object) -> FollowUpRules:
    """Rules from the structure of ``data/follow_ups.yaml``."""
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise InvalidFollowUpRules("expected a mapping with a 'rules' list", field="rules")
    try:
        rules = tuple(
            FollowUpRule(
                event=str(item["event"]),
                after=timedelta(hours=float(item["after_hours"])),
                reason=str(item["reason"]),
                outcome=None if item.get("outcome") is None else str(item["outcome"]),
                elderly_only=bool(item.get("elderly_only", False)),
            )
            for item in data["rules"]
        )
        daytime = data.get("daytime") or {}
        return FollowUpRules(
            rules=rules,
            timezone=str(data.get("timezone", "Asia/Shanghai")),
            day_start=_clock(daytime.get("start", "09:00"), "daytime.start"),
            day_end=_clock(daytime.get("end", "18:00"), "daytime.end"),
            window_length=timedelta(hours=float(data.get("window_hours", 3))),
            min_window=timedelta(hours=float(data.get("min_window_hours", 1))),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidFollowUpRules(f"cannot read follow-up rules: {exc}") from None


def follow_up_rules_from_yaml(text: str) -> FollowUpRules:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidFollowUpRules(f"follow-up rules are not valid YAML: {exc}") from None
    return follow_up_rules_from_dict(data)


def default_follow_up_rules() -> FollowUpRules:
    """24 h and 7 d after a dissuaded case; 1 d after an elderly customer's resolved conversation."""
    return follow_up_rules_from_yaml(
        resources.files("kefu.care").joinpath("data/follow_ups.yaml").read_text(encoding="utf-8")
    )
