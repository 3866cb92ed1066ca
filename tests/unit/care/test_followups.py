"""Follow-ups (回访): which callbacks kefu schedules after an event, and when."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.care import (
    CASE_RESOLVED,
    CONVERSATION_RESOLVED,
    FollowUpEvent,
    FollowUpRules,
    InvalidFollowUpRules,
    daytime_window,
    default_follow_up_rules,
    follow_up_rules_from_dict,
    follow_up_rules_from_yaml,
    follow_ups_for,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at_shanghai(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def dissuaded(when: datetime, elderly: bool = False) -> FollowUpEvent:
    return FollowUpEvent(CASE_RESOLVED, "case-1", "cust-1", when, outcome="dissuaded", elderly=elderly)


def test_dissuaded_case_gets_follow_ups_after_24_hours_and_7_days() -> None:
    """A dissuaded scam victim is called back the next day and a week later, in daytime windows."""
    follow_ups = follow_ups_for(dissuaded(at_shanghai(5, 10)))
    assert [f.window_start for f in follow_ups] == [at_shanghai(6, 10), at_shanghai(12, 10)]
    assert [f.window_end for f in follow_ups] == [at_shanghai(6, 13), at_shanghai(12, 13)]
    assert all(f.subject_id == "case-1" and f.customer_id == "cust-1" and f.reason for f in follow_ups)


def test_released_case_gets_no_follow_up() -> None:
    """Only dissuaded cases are followed up; a released false alarm is not."""
    event = FollowUpEvent(CASE_RESOLVED, "case-1", "cust-1", at_shanghai(5, 10), outcome="released")
    assert follow_ups_for(event) == []


def test_elderly_resolved_conversation_gets_a_next_day_follow_up() -> None:
    """An elderly customer's resolved conversation is followed up a day later; a younger one's is not."""
    elderly = FollowUpEvent(CONVERSATION_RESOLVED, "conv-1", "cust-1", at_shanghai(5, 15), elderly=True)
    (follow_up,) = follow_ups_for(elderly)
    assert follow_up.window_start == at_shanghai(6, 15)
    assert follow_up.window_end == at_shanghai(6, 18)  # clipped at the end of daytime
    assert follow_up.roll_over
    younger = FollowUpEvent(CONVERSATION_RESOLVED, "conv-2", "cust-2", at_shanghai(5, 15), elderly=False)
    assert follow_ups_for(younger) == []


def test_follow_up_due_at_night_waits_for_the_morning() -> None:
    """A follow-up falling due at 22:30 local time is placed at 09:00 the next morning."""
    (first, _) = follow_ups_for(dissuaded(at_shanghai(5, 22, 30)))
    assert first.window_start == at_shanghai(7, 9)


def test_follow_up_too_late_in_the_day_moves_to_the_next_morning() -> None:
    """With less than an hour of daytime left there is no room for retries, so it moves to tomorrow."""
    start, end = daytime_window(at_shanghai(6, 17, 30), default_follow_up_rules())
    assert (start, end) == (at_shanghai(7, 9), at_shanghai(7, 12))


def test_early_morning_follow_up_waits_for_daytime() -> None:
    """A follow-up due at 06:00 local waits for 09:00 the same day."""
    assert daytime_window(at_shanghai(6, 6), default_follow_up_rules())[0] == at_shanghai(6, 9)


def test_rules_from_yaml() -> None:
    """Rules, timezone and daytime can be configured in YAML."""
    rules = follow_up_rules_from_yaml(
        """
        timezone: Europe/London
        daytime: {start: "10:00", end: "16:00"}
        window_hours: 2
        rules:
          - {event: case_resolved, outcome: dissuaded, after_hours: 48, reason: check in}
        """
    )
    occurred = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    (follow_up,) = follow_ups_for(dissuaded(occurred), rules)
    assert follow_up.window_start == occurred + timedelta(hours=48)
    assert follow_up.window_end == datetime(2026, 1, 7, 14, 0, tzinfo=UTC)
    assert follow_up.reason == "check in"


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"rules": [{"event": "payment_made", "after_hours": 1, "reason": "x"}]},
        {"rules": [{"event": "case_resolved", "after_hours": -1, "reason": "x"}]},
        {"rules": [{"event": "case_resolved", "reason": "x"}]},
        {"rules": [], "daytime": {"start": "06:00", "end": "18:00"}},  # starts at night
        {"rules": [], "daytime": {"start": "09:00", "end": "23:00"}},  # ends at night
        {"rules": [], "daytime": {"start": "nine"}},
        {"rules": [], "timezone": "Mars/Olympus"},
        {"rules": [], "window_hours": 0.5},  # shorter than the minimum window
    ],
)
def test_bad_rules_are_refused(data: dict[str, object]) -> None:
    """Rules that are incomplete, unknown, or would call at night are refused with a stable code."""
    with pytest.raises(InvalidFollowUpRules) as info:
        follow_up_rules_from_dict(data)
    assert info.value.code == "invalid_follow_up_rules"


def test_bad_yaml_is_refused() -> None:
    """Unparseable YAML is refused as invalid rules, not a crash."""
    with pytest.raises(InvalidFollowUpRules):
        follow_up_rules_from_yaml("rules: [unclosed")


_moments = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive; timezones= makes them aware
    max_value=datetime(2030, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
_daytimes = st.tuples(st.integers(8, 18), st.integers(1, 13)).filter(lambda t: t[0] + t[1] <= 21)


@given(
    _moments,
    st.booleans(),
    st.sampled_from(["Asia/Shanghai", "Europe/Berlin", "America/New_York"]),
    _daytimes,
)
def test_follow_up_windows_are_never_at_night(
    occurred: datetime, elderly: bool, zone: str, daytime: tuple[int, int]
) -> None:
    """Every follow-up window lies within local daytime, starts after its due time and is long enough."""
    start_hour, hours = daytime
    rules = FollowUpRules(
        rules=default_follow_up_rules().rules,
        timezone=zone,
        day_start=time(start_hour),
        day_end=time(start_hour + hours),
    )
    for event in (
        dissuaded(occurred, elderly),
        FollowUpEvent(CONVERSATION_RESOLVED, "conv", "cust", occurred, elderly=elderly),
    ):
        for follow_up in follow_ups_for(event, rules):
            local_start = follow_up.window_start.astimezone(ZoneInfo(zone))
            local_end = follow_up.window_end.astimezone(ZoneInfo(zone))
            assert local_start.date() == local_end.date()
            assert rules.day_start <= local_start.time() and local_end.time() <= rules.day_end
            assert follow_up.window_end - follow_up.window_start >= rules.min_window
            assert follow_up.window_start >= occurred
