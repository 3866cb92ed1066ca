"""Time as a test input: fixed instants (never the machine's clock) and the frozen/advancing clock pair.

A handler-level test module takes its clock from a fixture built here, so it runs once on a ``FakeClock``
(time moves only when the test says) and once on an ``AdvancingClock`` (time also moves on every read, as in
a running server), which catches code that reads the clock twice and expects the two reads to agree::

    @pytest.fixture
    def clock(request: pytest.FixtureRequest) -> FakeClock:
        return clock_for(request, START)

    pytestmark = clock_matrix

Tests that drive a separate ``kefu`` process (CLI, server, browser) cannot inject a clock; they choose inputs
whose outcome does not depend on the hour, with the helpers at the bottom.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kefu.domain.clock import AdvancingClock, FakeClock

BEIJING = ZoneInfo("Asia/Shanghai")

# Fixed instants on a Monday. 02:00 UTC is 10:00 in Beijing, far from midnight in Beijing and in UTC.
MORNING = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
# 07:00 UTC is 15:00 in Beijing: an afternoon, outside the night rule.
AFTERNOON = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
# 19:30 UTC is 03:30 in Beijing: inside the night rule's hours (01:00 to 06:00 in the payer's zone).
NIGHT = datetime(2026, 1, 5, 19, 30, tzinfo=UTC)
# A customer born on this day is elderly (60 and over) on any day a test may run, and in any zone.
ELDERLY_BIRTH_DATE = date(1946, 3, 1)

FROZEN, ADVANCING = "frozen", "advancing"
CLOCK_KINDS = (FROZEN, ADVANCING)
# End-to-end modules run once, over HTTP on SQLite with the advancing clock (time moves on every read, as in
# a running server). The frozen clock runs every handler in tests/unit/handlers, and PostgreSQL every
# repository in tests/integration: running each HTTP test on every pair again would triple the slowest tier
# of the suite for no new failure. One story (the border soldier) still runs on all three pairs.
_MATRIX = (("sqlite", ADVANCING),)
_STORY_MATRIX = (("sqlite", FROZEN), ("postgresql", FROZEN), ("sqlite", ADVANCING))


def make_clock(kind: str, start: datetime) -> FakeClock:
    """A frozen ``FakeClock`` or an ``AdvancingClock`` (1 ms a read) starting at ``start``."""
    if kind == FROZEN:
        return FakeClock(start)
    if kind == ADVANCING:
        return AdvancingClock(start, step=timedelta(milliseconds=1))
    raise ValueError(f"unknown clock kind {kind!r}")


def clock_for(request: pytest.FixtureRequest, start: datetime) -> FakeClock:
    """The clock a parametrized ``clock`` fixture hands out (frozen when the test is not parametrized)."""
    return make_clock(getattr(request, "param", FROZEN), start)


# Every test of a module marked with this runs on the pairs of ``_MATRIX`` (ids such as ``sqlite-advancing``);
# each test must take ``database`` and ``clock``, directly or through its fixtures.
clock_matrix = pytest.mark.parametrize(
    ("database", "clock"), _MATRIX, indirect=True, ids=[f"{d}-{c}" for d, c in _MATRIX]
)
# The same, on every database and clock kind: for the one end-to-end story that runs everywhere.
story_matrix = pytest.mark.parametrize(
    ("database", "clock"), _STORY_MATRIX, indirect=True, ids=[f"{d}-{c}" for d, c in _STORY_MATRIX]
)


def is_night(when: datetime, zone: ZoneInfo = BEIJING) -> bool:
    """Whether the screening night rule applies to a payment made at ``when`` by a payer in ``zone``."""
    return 1 <= when.astimezone(zone).hour < 6


def daytime_at_or_before(when: datetime, zone: ZoneInfo = BEIJING) -> datetime:
    """``when`` itself outside the night rule's hours, else 00:59 the same local day (at most ~5 h earlier).

    For a test that sends a payment to a separate kefu process: the payment carries this as its own time,
    so the decision is the daytime one whatever the hour, and the payment stays in the same local day."""
    if not is_night(when, zone):
        return when
    local = when.astimezone(zone).replace(hour=0, minute=59, second=0, microsecond=0)
    return local.astimezone(UTC)
