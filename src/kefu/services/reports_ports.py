"""Ports of quality and reporting: the feedback records and the report store, and the partial sums they share.

``HourFigures`` are additive: every report figure is a ratio of sums, so hours, queues, sites and agents can
be added together before dividing (see docs/reports.md).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Protocol

from kefu.domain.quality import Commendation, Complaint, ComplaintStatus, CsatRating

SUMS: tuple[str, ...] = (
    "contacts",
    "answered",
    "answered_in_sl",
    "abandoned",
    "wait_sum_s",
    "handled",
    "handle_sum_s",
    "responded",
    "frt_sum_s",
    "csat_count",
    "csat_sum",
    "commendations",
    "complaints",
    "cases",
    "saved",
    "agent_hours",
)


@dataclass(slots=True)
class HourFigures:
    """Partial sums of one hour for one (queue, site, business line, agent); ``agent_id`` "" is no agent."""

    hour: datetime
    queue: str
    site: str
    business_line: str
    agent_id: str
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

    def add(self, other: HourFigures) -> None:
        for name in SUMS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


assert {f.name for f in fields(HourFigures)} >= set(SUMS)  # noqa: S101 - a definition check at import


class QualityRecords(Protocol):
    """CSAT ratings, commendations and complaints."""

    async def add_csat(self, rating: CsatRating) -> None: ...
    async def csat_for(self, conversation_id: str) -> CsatRating | None: ...
    async def add_commendation(self, commendation: Commendation) -> None: ...
    async def commendations(self, agent_id: str, after: str | None, limit: int) -> list[Commendation]: ...
    async def commendation_count(self, agent_id: str) -> int: ...
    async def add_complaint(self, complaint: Complaint) -> None: ...
    async def get_complaint(self, complaint_id: str) -> Complaint | None: ...
    async def save_complaint(self, complaint: Complaint) -> None: ...
    async def complaints(
        self,
        after: str | None,
        limit: int,
        status: ComplaintStatus | None = None,
        agent_id: str | None = None,
    ) -> list[Complaint]: ...


class ReportStore(Protocol):
    """Hourly partial sums: rolled-up hours from the rollup, later hours computed from the records."""

    async def hours(
        self, since: datetime, until: datetime, by_agent: bool, agent_id: str | None = None
    ) -> list[HourFigures]:
        """Figures of the hours in [since, until): per agent when ``by_agent``, else summed over agents."""
        ...

    async def roll_up(self, since: datetime, until: datetime, at: datetime) -> int:
        """Recompute the rollup for the hours in [since, until) and read it up to ``until``; rows written."""
        ...

    async def rolled_until(self) -> datetime | None: ...
