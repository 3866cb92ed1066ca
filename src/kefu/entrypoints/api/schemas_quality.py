"""Bodies of quality and reporting: CSAT, commendations (锦旗), complaints, reports, scorecards, staffing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from kefu.domain.quality import Commendation, Complaint, ComplaintStatus
from kefu.entrypoints.api.schemas import In, Out
from kefu.services.reports import FIGURES, ReportRow, Scorecard, Window

Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class CsatIn(In):
    score: Annotated[int, Field(ge=1, le=5, description="1 (very unhappy) to 5 (very happy)")]
    comment: Annotated[str, StringConstraints(max_length=2000)] | None = None


class CsatOut(Out):
    id: str
    conversation_id: str
    customer_id: str
    queue: str
    agent_id: str | None
    score: int
    comment: str | None
    at: datetime


class CommendationIn(In):
    customer_id: Id
    conversation_id: Id | None = None
    message: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class CommendationOut(Out):
    id: str
    agent_id: str
    customer_id: str
    conversation_id: str | None
    message: str
    by: str
    at: datetime

    @classmethod
    def of(cls, c: Commendation) -> CommendationOut:
        return cls.model_validate(c)


class AgentCommendationsOut(Out):
    agent_id: str
    commendations: int = Field(description="every commendation the agent ever earned")
    items: list[CommendationOut]
    next_cursor: str | None


class ComplaintIn(In):
    customer_id: Id
    conversation_id: Id | None = None
    agent_id: Id | None = None
    category: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    text: Annotated[str, StringConstraints(min_length=1, max_length=5000)]


class ComplaintStepIn(In):
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class ComplaintOut(Out):
    id: str
    customer_id: str
    conversation_id: str | None
    agent_id: str | None
    queue: str | None
    category: str
    text: str
    status: ComplaintStatus
    created_at: datetime
    updated_at: datetime
    handled_by: str | None
    note: str | None

    @classmethod
    def of(cls, c: Complaint) -> ComplaintOut:
        return cls.model_validate(c)


class ComplaintPage(Out):
    items: list[ComplaintOut]
    next_cursor: str | None


class ReportFigures(Out):
    contacts: int
    answered: int
    abandoned: int
    service_level_pct: float | None
    asa_s: float | None
    aht_s: float | None
    frt_s: float | None
    occupancy: float | None
    csat_avg: float | None
    csat_count: int
    commendations: int
    complaints: int
    cases: int
    saved: int = Field(description="funds saved, in fen (CNY minor units)")


class ReportRowOut(ReportFigures):
    bucket: datetime
    key: str


class ServiceReportOut(Out):
    from_: datetime = Field(alias="from", serialization_alias="from")
    to: datetime
    group_by: str
    interval: str
    tz: str
    rows: list[ReportRowOut]

    @classmethod
    def of(cls, w: Window, group_by: str, interval: str, rows: list[ReportRow]) -> ServiceReportOut:
        return cls.model_validate(
            {
                "from": w.since,
                "to": w.until,
                "group_by": group_by,
                "interval": interval,
                "tz": str(w.tz),
                "rows": [{"bucket": r.bucket, "key": r.key, **r.figures} for r in rows],
            }
        )


class ScorecardOut(ReportFigures):
    agent_id: str
    name: str
    site: str
    from_: datetime = Field(alias="from", serialization_alias="from")
    to: datetime
    commendations_total: int = Field(description="every commendation the agent ever earned")

    @classmethod
    def of(cls, s: Scorecard) -> ScorecardOut:
        body: dict[str, Any] = {
            "agent_id": s.agent_id,
            "name": s.name,
            "site": s.site,
            "from": s.since,
            "to": s.until,
            "commendations_total": s.commendations_total,
            **s.figures,
        }
        return cls.model_validate(body)


class StaffingHourOut(Out):
    start: datetime
    forecast_contacts: float
    required_agents: int
    service_level: float | None
    occupancy: float | None


class QueueStaffingOut(Out):
    queue: str
    business_line: str
    answer_within_s: int
    target_pct: float
    aht_s: float
    aht_observed: bool
    agents: dict[str, int]
    hours: list[StaffingHourOut]


class StaffingOut(Out):
    at: datetime
    lookback_days: int
    queues: list[QueueStaffingOut]


assert set(FIGURES) == set(ReportFigures.model_fields)  # noqa: S101 - the schema lists every figure
