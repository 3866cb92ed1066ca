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
    "transferred",
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
    transferred: int = 0

    def add(self, other: HourFigures) -> None:
        # Written out: reports add thousands of these per request, and getattr/setattr loops cost 3x.
        self.contacts += other.contacts
        self.answered += other.answered
        self.answered_in_sl += other.answered_in_sl
        self.abandoned += other.abandoned
        self.wait_sum_s += other.wait_sum_s
        self.handled += other.handled
        self.handle_sum_s += other.handle_sum_s
        self.responded += other.responded
        self.frt_sum_s += other.frt_sum_s
        self.csat_count += other.csat_count
        self.csat_sum += other.csat_sum
        self.commendations += other.commendations
        self.complaints += other.complaints
        self.cases += other.cases
        self.saved += other.saved
        self.agent_hours += other.agent_hours
        self.transferred += other.transferred


# SUMS is the order of the sums in the constructor, after the five keys.
assert tuple(f.name for f in fields(HourFigures))[5:] == SUMS  # noqa: S101 - a definition check at import


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
        self,
        since: datetime,
        until: datetime,
        group_by: str | None,
        agent_id: str | None = None,
        day_tz: str | None = None,
    ) -> list[HourFigures]:
        """Figures of the hours in [since, until) per hour and per ``group_by`` (queue, site, business_line
        or agent; the other keys are ""), or per hour only when ``group_by`` is None; ``agent_id`` keeps
        one agent's figures. With ``day_tz`` a store may hand back whole days in that zone instead of
        hours (the ``hour`` field is then the start of the day); callers bucket either way."""
        ...

    async def roll_up(self, since: datetime, until: datetime, at: datetime) -> int:
        """Recompute the rollup for the hours in [since, until) and read it up to ``until``; rows written."""
        ...

    async def rolled_until(self) -> datetime | None: ...
