"""The staffing plan: Erlang C per coming hour from the mean arrivals of that hour of the day."""

from __future__ import annotations

from datetime import UTC, datetime

from kefu.domain.queues import Queue, ServiceLevel
from kefu.services.reports.staffing import plan
from kefu.staffing import required_agents

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _queue() -> Queue:
    return Queue(
        "payments", "Payments", "payments", ("chat",), {"payments": 1}, 0, ServiceLevel(20, 80.0), T0, T0
    )


def test_plan_uses_the_mean_arrivals_of_each_hour_of_day() -> None:
    """700 contacts at 09:00 over 7 days is 100/h; with AHT 180 s Erlang C gives its agent count."""
    hours = plan(_queue(), {9: 700, 10: 0}, days=7, aht_s=180.0, start=T0, ahead=3)
    expected = required_agents(100.0, 180.0, 20, 0.8)
    assert hours[0].forecast_contacts == 100.0
    assert hours[0].required_agents == expected.agents
    assert hours[0].service_level is not None
    assert hours[0].service_level >= 0.8
    assert [(h.start.hour, h.required_agents) for h in hours[1:]] == [(10, 0), (11, 0)]


def test_more_arrivals_never_need_fewer_agents() -> None:
    """The recommendation grows with the arrival rate."""
    counts = [plan(_queue(), {9: n}, 1, 300.0, T0, 1)[0].required_agents for n in (10, 50, 100, 400)]
    assert counts == sorted(counts)
    assert counts[0] < counts[-1]
