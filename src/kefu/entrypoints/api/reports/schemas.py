"""Bodies of reports: service figures, agent scorecards, staffing, and the live wallboard snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from kefu.domain.reports import FIGURES
from kefu.entrypoints.api.routing.schemas import QueueStatsOut
from kefu.entrypoints.api.shared.schemas import Out
from kefu.services.reports.service import ReportRow, Scorecard, Window


class WallboardQueueOut(Out):
    id: str
    name: str
    business_line: str
    stats: QueueStatsOut
    below_target: bool = Field(description="last 15 minutes' service level is under the queue's target")


class WallboardSiteOut(Out):
    site: str
    name: str
    name_zh: str
    agents: dict[str, int] = Field(description="agents by state: available, busy, away, offline")


class CentreFiguresOut(Out):
    answered: int = Field(description="contacts answered, each once however many queues answered it")
    abandoned: int = Field(description="contacts that gave up before any queue answered them")
    transferred: int = Field(description="transfers made")
    service_level_pct: float | None = Field(description="first answers within their queue's target")


class CentreOut(Out):
    recent: CentreFiguresOut = Field(description="last 15 minutes")
    today: CentreFiguresOut


class WallboardOut(Out):
    at: datetime
    queues: list[WallboardQueueOut]
    sites: list[WallboardSiteOut]
    centre: CentreOut | None = Field(default=None, description="the whole centre, a transferred contact once")


class ReportFigures(Out):
    contacts: int
    answered: int
    abandoned: int
    transferred: int = Field(description="conversations transferred on from this queue, site or agent")
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
