"""Bodies of reports: service figures, agent scorecards, staffing, and the live wallboard snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from kefu.domain.reports import FIGURES
from kefu.entrypoints.api.routing.schemas import QueueStatsOut
from kefu.entrypoints.api.shared.schemas import In, Out
from kefu.services.reports.service import ReportRow, Scorecard, Window


class _Limits(BaseModel):
    """A queue's wallboard limits; one left out (or null) is not checked, except that the longest wait and
    service level then use defaults drawn from the queue's target."""

    wait_warn_s: int | None = Field(default=None, ge=0, description="longest wait (s) that warns")
    wait_alarm_s: int | None = Field(default=None, ge=0, description="longest wait (s) that alarms")
    sl_warn_pct: float | None = Field(
        default=None, ge=0, le=100, description="15-min service level that warns"
    )
    sl_alarm_pct: float | None = Field(
        default=None, ge=0, le=100, description="15-min service level that alarms"
    )
    waiting_warn: int | None = Field(default=None, ge=0, description="customers waiting that warn")
    waiting_alarm: int | None = Field(default=None, ge=0, description="customers waiting that alarm")
    available_warn: int | None = Field(default=None, ge=0, description="available agents at or below: warn")
    available_alarm: int | None = Field(default=None, ge=0, description="available agents at or below: alarm")


class ThresholdsIn(In, _Limits):
    pass


class ThresholdsOut(Out, _Limits):
    queue_id: str
    updated_at: datetime | None = None


class WallboardQueueOut(Out):
    id: str
    name: str
    business_line: str
    stats: QueueStatsOut
    below_target: bool = Field(description="last 15 minutes' service level is under the queue's target")
    thresholds: ThresholdsOut | None = Field(default=None, description="the limits applied, defaults filled")
    available: int = Field(default=0, description="agents available who meet the queue's skills")
    level: str = Field(default="ok", description="ok, warn or alarm: the worst of the breaches")
    unanswered: bool = Field(default=False, description="customers wait and nothing was answered in 15 min")
    breaches: dict[str, str] = Field(
        default_factory=dict,
        description="metric (longest_wait, waiting, service_level, available, unanswered, no_agent) -> level",
    )


class WallboardAgentOut(Out):
    id: str
    name: str
    site: str
    state: str = Field(description="available, busy, away or offline")
    since: datetime | None = Field(description="when the agent's presence last changed")
    reason: str | None = Field(description="why kefu set the agent away (missed: offers went unanswered)")


class WallboardAlarmOut(Out):
    code: str = Field(
        description="unstaffed, unanswered, no_agent, below_target, threshold or held_unattended"
    )
    level: str = Field(description="warn or alarm")
    queue_id: str | None = None
    queue_name: str | None = None
    metric: str | None = None
    count: int = Field(description="customers waiting (queue alarms) or open cases holding money")
    amounts: dict[str, int] = Field(default_factory=dict, description="held money per currency, minor units")


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
    agents: list[WallboardAgentOut] = Field(default_factory=list, description="agents by site and state")
    alarms: list[WallboardAlarmOut] = Field(
        default_factory=list, description="what needs action, worst first"
    )
    held: dict[str, int] = Field(default_factory=dict, description="money held on open cases, per currency")
    held_cases: int = Field(default=0, description="open cases holding a payment for a decision")


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


class FraudLineOut(Out):
    key: str = Field(description="site id or agent id; none: no specialist took the case")
    name: str = Field(description="the site's or specialist's name in the asked language")
    site: str | None = Field(description="the specialist's site (per specialist), or the site itself")
    offered: int = Field(description="cases opened in the window")
    answered: int = Field(description="of those, taken by a specialist or reached by phone")
    first_contact_s: float | None = Field(description="median time from opening to first contact")
    dissuaded: int
    released: int
    unreachable: int
    saved: dict[str, int] = Field(description="funds saved per currency, minor units, made in the window")


class FraudReportOut(Out):
    from_: datetime = Field(alias="from", serialization_alias="from")
    to: datetime
    group_by: str
    rows: list[FraudLineOut]
