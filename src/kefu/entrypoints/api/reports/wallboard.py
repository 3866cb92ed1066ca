"""The supervisor wallboard as one snapshot: every queue's live figures and the agents by site and state."""

from __future__ import annotations

from fastapi import APIRouter

from kefu.entrypoints.api.deps import ContextDep, KefuDep
from kefu.entrypoints.api.reports.schemas import WallboardOut
from kefu.services.routing import wallboard as svc

router = APIRouter(prefix="/api/v1", tags=["wallboard"])


@router.get(
    "/wallboard", response_model=WallboardOut, summary="All queues' figures, agents per site and state"
)
async def wallboard(ctx: ContextDep, kefu: KefuDep) -> WallboardOut:
    return WallboardOut.model_validate(await svc.snapshot(ctx, kefu.router))
