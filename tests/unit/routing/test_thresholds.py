"""Wallboard thresholds: levels in both directions, defaults from the queue's target, and the checks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.domain.errors import InvalidInput
from kefu.domain.thresholds import Thresholds, check, effective, level, worst


def test_levels_go_both_ways_and_an_unknown_value_is_ok() -> None:
    """A wait alarms at or above its limit; a service level at or below its limit; None is ok."""
    assert [level(v, 20, 60, True) for v in (19, 20, 59, 60)] == ["ok", "warn", "warn", "alarm"]
    assert [level(v, 80, 60, False) for v in (81, 80, 61, 60)] == ["ok", "warn", "warn", "alarm"]
    assert level(None, 1, 2, True) == "ok"
    assert level(10, None, None, True) == "ok"
    assert worst(["ok", "alarm", "warn"]) == "alarm"
    assert worst([]) == "ok"


def test_defaults_come_from_the_queue_target_and_set_limits_win() -> None:
    """Unset wait and service-level limits follow the target (×1 and ×3; target and 20 points under)."""
    t = effective(Thresholds("games"), answer_within_s=20, target_pct=80.0)
    assert (t.wait_warn_s, t.wait_alarm_s, t.sl_warn_pct, t.sl_alarm_pct) == (20, 60, 80.0, 60.0)
    assert effective(Thresholds("q", wait_alarm_s=5, sl_alarm_pct=10.0), 20, 80.0).wait_alarm_s == 5
    assert effective(Thresholds("q"), 20, 10.0).sl_alarm_pct == 0.0


@pytest.mark.parametrize(
    ("limits", "field"),
    [
        ({"wait_warn_s": 60, "wait_alarm_s": 30}, "wait_alarm_s"),
        ({"sl_warn_pct": 60.0, "sl_alarm_pct": 80.0}, "sl_alarm_pct"),
        ({"available_warn": 1, "available_alarm": 2}, "available_alarm"),
        ({"sl_warn_pct": 101.0}, "sl_warn_pct"),
        ({"waiting_warn": -1}, "waiting_warn"),
    ],
)
def test_inconsistent_limits_are_refused_naming_the_field(limits: dict[str, float], field: str) -> None:
    """An alarm on the wrong side of its warning, a percentage past 100 or a negative limit is refused."""
    with pytest.raises(InvalidInput) as raised:
        check(Thresholds("q", **limits))  # type: ignore[arg-type]
    assert raised.value.fields["field"] == field


@given(warn=st.integers(0, 10_000), extra=st.integers(0, 10_000), value=st.integers(0, 30_000))
def test_an_alarm_is_never_below_a_warning_for_accepted_limits(warn: int, extra: int, value: int) -> None:
    """For any accepted pair of limits, whatever reaches the alarm also reaches the warning."""
    t = check(Thresholds("q", wait_warn_s=warn, wait_alarm_s=warn + extra))
    found = level(value, t.wait_warn_s, t.wait_alarm_s, True)
    assert (found == "alarm") <= (value >= warn)
    assert (found == "ok") == (value < warn)
