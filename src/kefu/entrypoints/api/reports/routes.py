"""Reports: service figures by queue, site, business line or agent; scorecards; staffing; SVG charts."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from kefu.domain.reports import FIGURES
from kefu.entrypoints.api.deps import ContextDep
from kefu.entrypoints.api.reports.schemas import (
    FraudLineOut,
    FraudReportOut,
    QueueStaffingOut,
    ScorecardOut,
    ServiceReportOut,
    StaffingOut,
)
from kefu.entrypoints.api.shared.schemas import Instant
from kefu.entrypoints.web.reports.charts import CHARTS, render
from kefu.services.reports import fraud
from kefu.services.reports import service as svc
from kefu.services.reports import staffing as reports_staffing

router = APIRouter(prefix="/api/v1", tags=["reports"])

From = Annotated[
    Instant | None,
    Query(
        alias="from",
        description="start, ISO 8601 with a zone; rounded down to the hour (default: today's midnight in "
        "the centre's zone)",
    ),
]
To = Annotated[
    Instant | None,
    Query(
        description="end (exclusive), ISO 8601 with a zone; rounded up to the hour (default: end of that day)"
    ),
]
Lang = Annotated[Literal["zh", "en"], Query(description="language of the chart's labels")]
Tz = Annotated[str, Query(max_length=64, description="time zone of day buckets, e.g. Asia/Shanghai")]
Format = Literal["json", "csv"]
ChartName = Literal[
    "service_level", "volume", "csat", "service_level_by_site", "volume_by_site", "csat_by_site"
]
assert set(CHARTS) == set(ChartName.__args__)  # type: ignore[attr-defined]  # noqa: S101


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection): such text cells get
# a leading apostrophe, shown by spreadsheets as text. Numbers are numbers, even negative ones.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A value safe to put in a CSV cell that a spreadsheet will open."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/reports/service",
    response_model=ServiceReportOut,
    summary="Service figures per group and interval (docs/reports.md); ?format=csv for a spreadsheet",
    responses={200: {"content": {"text/csv": {}}}},
)
async def service_report(
    ctx: ContextDep,
    since: From = None,
    to: To = None,
    group_by: svc.GroupBy = "queue",
    interval: svc.Interval = "day",
    tz: Tz = "UTC",
    format: Format = "json",
) -> Any:
    w, rows = await svc.service_report(ctx, *svc.today_or(ctx, since, to), group_by, interval, tz)
    if format == "csv":
        return _csv(
            ("bucket", group_by, *FIGURES),
            ((r.bucket.isoformat(), r.key, *(r.figures[f] for f in FIGURES)) for r in rows),
            "service-report.csv",
        )
    return ServiceReportOut.of(w, group_by, interval, rows)


@router.get(
    "/reports/fraud",
    response_model=FraudReportOut,
    response_model_by_alias=True,
    summary="Anti-fraud cases per base or specialist: offered, answered, first contact, outcomes, saved",
    responses={200: {"content": {"text/csv": {}}}},
)
async def fraud_report(
    ctx: ContextDep,
    since: From = None,
    to: To = None,
    group_by: fraud.FraudGroupBy = "site",
    lang: Lang = "zh",
    format: Format = "json",
) -> Any:
    w, lines, agents = await fraud.fraud_report(ctx, *svc.today_or(ctx, since, to), group_by)
    sites = await svc.site_names(ctx)

    def site_name(site: str) -> str:
        en, zh = sites.get(site, (site, site))
        return en if lang == "en" else zh

    rows = []
    for line in lines:
        agent = agents.get(line.key)
        if group_by == "site":
            name, site = (site_name(line.key), line.key) if line.key != fraud.NONE else ("—", None)
        else:
            name, site = (agent.name, agent.site) if agent is not None else ("—", None)
        rows.append(
            FraudLineOut(
                key=line.key,
                name=name,
                site=site,
                offered=line.offered,
                answered=line.answered,
                first_contact_s=line.first_contact_s,
                dissuaded=line.dissuaded,
                released=line.released,
                unreachable=line.unreachable,
                saved=line.saved,
            )
        )
    if format == "csv":
        currencies = sorted({c for r in rows for c in r.saved})
        header = ("key", "name", "site", *FRAUD_FIGURES, *(f"saved_{c}" for c in currencies))
        return _csv(
            header,
            (
                [r.key, r.name, r.site, *(getattr(r, f) for f in FRAUD_FIGURES)]
                + [r.saved.get(c, 0) for c in currencies]
                for r in rows
            ),
            f"fraud-report-{group_by}.csv",
        )
    return FraudReportOut.model_validate({"from": w.since, "to": w.until, "group_by": group_by, "rows": rows})


FRAUD_FIGURES = ("offered", "answered", "first_contact_s", "dissuaded", "released", "unreachable")


@router.get(
    "/agents/{agent_id}/scorecard",
    response_model=ScorecardOut,
    summary="One agent's figures over a window; ?format=csv for a spreadsheet",
    responses={200: {"content": {"text/csv": {}}}},
)
async def scorecard(
    agent_id: str,
    ctx: ContextDep,
    since: From = None,
    to: To = None,
    format: Format = "json",
) -> Any:
    card = ScorecardOut.of(await svc.scorecard(ctx, agent_id, *svc.today_or(ctx, since, to)))
    if format == "csv":
        body = card.model_dump(by_alias=True, mode="json")
        header = ("agent_id", "name", "site", "from", "to", *FIGURES, "commendations_total")
        return _csv(header, [[body[h] for h in header]], f"scorecard-{agent_id}.csv")
    return card


@router.get(
    "/reports/staffing",
    response_model=StaffingOut,
    summary="Erlang C agents needed per queue; ?format=csv for a spreadsheet",
    responses={200: {"content": {"text/csv": {}}}},
)
async def staffing(
    ctx: ContextDep,
    hours: Annotated[int, Query(ge=1, le=48, description="coming hours to plan")] = 8,
    lookback_days: Annotated[int, Query(ge=1, le=56, description="days of history for the rates")] = 7,
    format: Format = "json",
) -> Any:
    planned = await reports_staffing.staffing(ctx, hours, lookback_days)
    if format == "csv":
        header = ("queue", "hour", "forecast_contacts", "required_agents", "available_now", "away_now")
        return _csv(
            header,
            (
                (
                    q.queue,
                    h.start.isoformat(),
                    h.forecast_contacts,
                    h.required_agents,
                    q.agents.get("available", 0),
                    q.agents.get("away", 0),
                )
                for q in planned
                for h in q.hours
            ),
            "staffing.csv",
        )
    return StaffingOut(
        at=ctx.clock.now(),
        lookback_days=lookback_days,
        queues=[QueueStaffingOut.model_validate(reports_staffing.as_dict(q)) for q in planned],
    )


@router.get(
    "/reports/charts/{name}.svg",
    summary="A chart as SVG: service level, volume or CSAT over time or per site",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
async def chart(
    name: ChartName,
    ctx: ContextDep,
    since: From = None,
    to: To = None,
    interval: svc.Interval = "day",
    tz: Tz = "UTC",
    lang: Lang = "zh",
) -> Response:
    start, end = svc.today_or(ctx, since, to)
    names = {site: en if lang == "en" else zh for site, (en, zh) in (await svc.site_names(ctx)).items()}
    if CHARTS[name].over_time:
        w, rows = await svc.service_report(ctx, start, end, "site", interval, tz)
        svg = render(name, rows, lang, names, svc.axis(w, interval))
    else:
        _, rows = await svc.totals(ctx, start, end, "site", tz)
        svg = render(name, rows, lang, names)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
