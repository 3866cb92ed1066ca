"""Liveness and the state of the backing services."""

from __future__ import annotations

from importlib.metadata import version

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from kefu.entrypoints.api.deps import KefuDep
from kefu.entrypoints.api.shared.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut, summary="Health of kefu and its database, bus and Redis")
async def healthz(kefu: KefuDep) -> JSONResponse:
    """``degraded`` (503) when a backing service is down, NATS included when it is configured;
    ``outbox_lag_s`` is how long the oldest committed event has waited to be published."""
    checks = await kefu.health()
    ok = all(v == "ok" for v in checks.values())
    body = HealthOut(
        status="ok" if ok else "degraded",
        checks=checks,
        version=version("kefu"),
        outbox_lag_s=await kefu.outbox_lag_s(),
    )
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
