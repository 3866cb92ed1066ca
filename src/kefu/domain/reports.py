"""What the centre's reports mean: each figure's definition over additive partial sums, and the limits.

Every figure is a ratio of sums, so hours, queues, sites and agents add up before dividing (docs/reports.md):

    service_level_pct  100 × answered within the queue's target / (answered + abandoned)
    asa_s              wait before an answer, per answered contact
    aht_s              handle time per handled contact
    frt_s              first response time per contact with a first response
    occupancy          handle time / (3600 × agent-hours on shift)
    csat_avg           mean CSAT rating

Pure: no clock, no storage. The store computes the sums; services group them and call ``figures``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

from kefu.domain.queues import ServiceLevel

FIGURES: tuple[str, ...] = (
    "contacts",
    "answered",
    "abandoned",
    "transferred",
    "service_level_pct",
    "asa_s",
    "aht_s",
    "frt_s",
    "occupancy",
    "csat_avg",
    "csat_count",
    "commendations",
    "complaints",
    "cases",
    "saved",
)

MAX_SPAN = timedelta(days=366)  # the longest window a report covers
MAX_HOURLY_SPAN = timedelta(days=62)  # the longest window reported hour by hour
# A queue without a stored service level is measured against the default one.
DEFAULT_ANSWER_WITHIN_S = ServiceLevel().answer_within_s
SAVED_CURRENCY = "CNY"  # funds saved are reported in this currency's minor units (fen)

# Staffing (Erlang C over the observed arrivals).
DEFAULT_AHT_S = 300.0  # handle time assumed for a queue that has handled nothing in the lookback
MAX_AHEAD_H = 48  # the furthest a staffing forecast looks ahead, in hours
MAX_LOOKBACK_D = 56  # the most history a staffing forecast learns from, in days


class Sums(Protocol):
    """The additive partial sums the figures are defined over (one hour, one group, or many added up)."""

    @property
    def contacts(self) -> int: ...
    @property
    def answered(self) -> int: ...
    @property
    def answered_in_sl(self) -> int: ...
    @property
    def abandoned(self) -> int: ...
    @property
    def wait_sum_s(self) -> float: ...
    @property
    def handled(self) -> int: ...
    @property
    def handle_sum_s(self) -> float: ...
    @property
    def responded(self) -> int: ...
    @property
    def frt_sum_s(self) -> float: ...
    @property
    def csat_count(self) -> int: ...
    @property
    def csat_sum(self) -> int: ...
    @property
    def commendations(self) -> int: ...
    @property
    def complaints(self) -> int: ...
    @property
    def cases(self) -> int: ...
    @property
    def saved(self) -> int: ...
    @property
    def agent_hours(self) -> int: ...
    @property
    def transferred(self) -> int: ...


def ratio(num: float, den: float, digits: int) -> float | None:
    """``num / den`` rounded, or None when there is nothing to divide by (a gap, not a zero)."""
    return None if den == 0 else round(num / den, digits)


def figures(f: Sums) -> dict[str, Any]:
    """The report figures of one sum, keyed as ``FIGURES``."""
    offered = f.answered + f.abandoned  # abandoned contacts count against the service level
    return {
        "contacts": f.contacts,
        "answered": f.answered,
        "abandoned": f.abandoned,
        "transferred": f.transferred,
        "service_level_pct": ratio(100.0 * f.answered_in_sl, offered, 2),
        "asa_s": ratio(f.wait_sum_s, f.answered, 2),
        "aht_s": ratio(f.handle_sum_s, f.handled, 2),
        "frt_s": ratio(f.frt_sum_s, f.responded, 2),
        "occupancy": ratio(f.handle_sum_s, 3600.0 * f.agent_hours, 4),
        "csat_avg": ratio(f.csat_sum, f.csat_count, 3),
        "csat_count": f.csat_count,
        "commendations": f.commendations,
        "complaints": f.complaints,
        "cases": f.cases,
        "saved": f.saved,
    }
