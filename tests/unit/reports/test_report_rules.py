"""Report definitions in the core: each figure is a ratio of sums, empty sums give gaps, limits hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from kefu.domain.queues import ServiceLevel
from kefu.domain.reports import (
    DEFAULT_ANSWER_WITHIN_S,
    FIGURES,
    MAX_HOURLY_SPAN,
    MAX_SPAN,
    figures,
    ratio,
)


@dataclass(frozen=True)
class _Sums:
    contacts: int = 0
    answered: int = 0
    answered_in_sl: int = 0
    abandoned: int = 0
    wait_sum_s: float = 0.0
    handled: int = 0
    handle_sum_s: float = 0.0
    responded: int = 0
    frt_sum_s: float = 0.0
    csat_count: int = 0
    csat_sum: int = 0
    commendations: int = 0
    complaints: int = 0
    cases: int = 0
    saved: int = 0
    agent_hours: int = 0
    transferred: int = 0


def test_abandoned_contacts_count_against_the_service_level() -> None:
    """Service level is answered in target over answered plus abandoned, in percent."""
    got = figures(_Sums(answered=3, answered_in_sl=3, abandoned=1))
    assert got["service_level_pct"] == 75.0


def test_empty_sums_give_gaps_not_zeros() -> None:
    """With nothing to divide by, a ratio figure is None (a gap in a chart), a count is 0."""
    got = figures(_Sums())
    assert set(got) == set(FIGURES)
    assert got["service_level_pct"] is None and got["aht_s"] is None and got["occupancy"] is None
    assert got["contacts"] == 0 and ratio(1, 0, 2) is None


def test_report_limits_and_the_default_service_level() -> None:
    """Reports span at most a year (hourly: 62 days) and default to the queues' default service level."""
    assert (MAX_SPAN, MAX_HOURLY_SPAN) == (timedelta(days=366), timedelta(days=62))
    assert DEFAULT_ANSWER_WITHIN_S == ServiceLevel().answer_within_s == 20
