"""Screening figures: screenings, cases, funds saved and rates over a window (``/api/v1/stats/fraud``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

from kefu.entrypoints.api.deps import ContextDep
from kefu.entrypoints.api.screening.schemas import FraudStatsOut
from kefu.entrypoints.api.shared.schemas import Instant
from kefu.services.screening.model import model_drift
from kefu.services.screening.stats import fraud_stats

router = APIRouter(prefix="/api/v1/stats", tags=["screening"])


@router.get(
    "/fraud",
    response_model=FraudStatsOut,
    response_model_by_alias=True,
    summary="Screenings, cases, funds saved and rates in [from, to)",
)
async def stats(
    ctx: ContextDep,
    start: Annotated[Instant, Query(alias="from", description="ISO 8601 with an offset")],
    end: Annotated[Instant, Query(alias="to", description="ISO 8601 with an offset")],
) -> FraudStatsOut:
    figures = asdict(await fraud_stats(start, end, ctx))
    return FraudStatsOut.model_validate({**figures, "models": await model_drift(start, end, ctx)})
