"""Fake clocks: the frozen one moves only when told, the advancing one on every read too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kefu.domain.clock import AdvancingClock, FakeClock
from tests.clocks import BEIJING, daytime_at_or_before, is_night

T0 = datetime(2026, 1, 5, 19, 30, tzinfo=UTC)


def test_a_frozen_clock_reads_the_same_until_moved() -> None:
    """FakeClock answers the same instant on every read; advance() and set() move it."""
    clock = FakeClock(T0)
    assert clock.now() == clock.now() == T0
    clock.advance(1.5)
    assert clock.now() == T0 + timedelta(seconds=1.5)
    clock.set(T0)
    assert clock.now() == T0


def test_an_advancing_clock_moves_between_reads_and_by_hand() -> None:
    """AdvancingClock never answers the same instant twice, and advance() adds to its own steps."""
    clock = AdvancingClock(T0, step=timedelta(milliseconds=5))
    first, second = clock.now(), clock.now()
    assert first == T0
    assert second == T0 + timedelta(milliseconds=5)
    clock.advance(60)
    assert clock.now() == T0 + timedelta(seconds=60, milliseconds=10)
    clock.set(T0)
    assert clock.now() == T0
    assert clock.reads == 4


def test_an_advancing_clock_must_move_forward() -> None:
    """A zero or negative step is refused: that would be a frozen clock or time running backwards."""
    with pytest.raises(ValueError, match="forward"):
        AdvancingClock(T0, step=timedelta(0))


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2026, 1, 5, 4, 0, tzinfo=UTC), datetime(2026, 1, 5, 4, 0, tzinfo=UTC)),  # 12:00 Beijing
        (datetime(2026, 1, 5, 16, 59, tzinfo=UTC), datetime(2026, 1, 5, 16, 59, tzinfo=UTC)),  # 00:59
        (datetime(2026, 1, 5, 17, 0, tzinfo=UTC), datetime(2026, 1, 5, 16, 59, tzinfo=UTC)),  # 01:00
        (datetime(2026, 1, 5, 19, 30, tzinfo=UTC), datetime(2026, 1, 5, 16, 59, tzinfo=UTC)),  # 03:30
        (datetime(2026, 1, 5, 21, 59, tzinfo=UTC), datetime(2026, 1, 5, 16, 59, tzinfo=UTC)),  # 05:59
        (datetime(2026, 1, 5, 22, 0, tzinfo=UTC), datetime(2026, 1, 5, 22, 0, tzinfo=UTC)),  # 06:00
    ],
)
def test_daytime_at_or_before_leaves_the_night_rules_hours(when: datetime, expected: datetime) -> None:
    """The helper for tests against a live server keeps daytime as is and moves night to 00:59 that day."""
    moved = daytime_at_or_before(when)
    assert moved == expected
    assert not is_night(moved)
    assert moved <= when
    assert moved.astimezone(BEIJING).date() == when.astimezone(BEIJING).date()
