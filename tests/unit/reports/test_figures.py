"""Report figures from partial sums: ratios of sums, windows rounded to hours, day buckets in a zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kefu.domain.errors import InvalidInput
from kefu.domain.reports import figures
from kefu.services.reports.service import group, window
from kefu.services.reports_ports import HourFigures

T0 = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def _h(hour: datetime, site: str, **sums: float) -> HourFigures:
    return HourFigures(hour, "payments", site, "payments", "", **sums)  # type: ignore[arg-type]


def test_figures_are_ratios_of_sums() -> None:
    """SL = in target / (answered + abandoned); ASA, AHT, FRT, CSAT are means; occupancy per agent-hour."""
    sums = {"contacts": 5, "answered": 4, "answered_in_sl": 3, "abandoned": 1, "wait_sum_s": 40.0}
    sums |= {"handled": 2, "handle_sum_s": 720.0, "responded": 4, "frt_sum_s": 100.0}
    f = _h(T0, "s", **sums, csat_count=2, csat_sum=9, agent_hours=2)
    got = figures(f)
    assert got["service_level_pct"] == 60.0
    assert (got["asa_s"], got["aht_s"], got["frt_s"]) == (10.0, 360.0, 25.0)
    assert got["occupancy"] == 0.1
    assert got["csat_avg"] == 4.5


def test_figures_without_a_denominator_are_none() -> None:
    """No answered or abandoned contact: no service level, no ASA; counts stay zero."""
    got = figures(_h(T0, "s", contacts=1))
    assert got["contacts"] == 1
    assert all(
        got[k] is None for k in ("service_level_pct", "asa_s", "aht_s", "frt_s", "occupancy", "csat_avg")
    )


def test_day_buckets_follow_the_zone() -> None:
    """15:00 and 16:00 UTC are different days in Shanghai (16:00 UTC is local midnight)."""
    hours = [_h(T0, "a", contacts=1), _h(T0 + timedelta(hours=1), "a", contacts=2)]
    rows = group(hours, "site", "day", ZoneInfo("Asia/Shanghai"))
    assert [(r.bucket.isoformat(), r.figures["contacts"]) for r in rows] == [
        ("2026-11-02T00:00:00+08:00", 1),
        ("2026-11-03T00:00:00+08:00", 2),
    ]
    rows = group(hours, "site", "day", ZoneInfo("UTC"))
    assert [r.figures["contacts"] for r in rows] == [3]


def test_window_rounds_to_whole_hours() -> None:
    """from is rounded down and to up to the hour; an exact hour stays."""
    w = window(datetime(2026, 11, 2, 1, 30, tzinfo=UTC), datetime(2026, 11, 2, 3, 0, 1, tzinfo=UTC))
    assert (w.since.hour, w.until.hour) == (1, 4)
    w = window(T0, T0 + timedelta(hours=2))
    assert (w.since, w.until) == (T0, T0 + timedelta(hours=2))


@pytest.mark.parametrize(
    ("since", "until", "tz"),
    [
        (T0, T0, "UTC"),
        (T0 + timedelta(hours=1), T0, "UTC"),
        (T0, T0 + timedelta(days=400), "UTC"),
        (T0, T0 + timedelta(hours=1), "Nowhere/Place"),
        (T0.replace(tzinfo=None), T0 + timedelta(hours=1), "UTC"),
    ],
)
def test_bad_windows_are_refused(since: datetime, until: datetime, tz: str) -> None:
    """Empty or reversed windows, more than a year, unknown zones and naive times are InvalidInput."""
    with pytest.raises(InvalidInput):
        window(since, until, tz)
