"""The supervisor wallboard as one snapshot, and the per-queue thresholds that colour its tiles."""

from __future__ import annotations

from fastapi import APIRouter

from kefu.domain.thresholds import SetQueueThresholds
from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep, KefuDep
from kefu.entrypoints.api.reports.schemas import ThresholdsIn, ThresholdsOut, WallboardOut
from kefu.services.routing import thresholds as limits
from kefu.services.routing import wallboard as svc

router = APIRouter(prefix="/api/v1", tags=["wallboard"])


@router.get(
    "/wallboard", response_model=WallboardOut, summary="All queues' figures, agents per site and state"
)
async def wallboard(ctx: ContextDep, kefu: KefuDep) -> WallboardOut:
    return WallboardOut.model_validate(await svc.snapshot(ctx, kefu.router))


@router.get(
    "/wallboard/thresholds", response_model=list[ThresholdsOut], summary="Queues' wallboard limits as set"
)
async def list_thresholds(ctx: ContextDep) -> list[ThresholdsOut]:
    return [ThresholdsOut.model_validate(t) for t in await limits.list_thresholds(ctx)]


@router.put(
    "/queues/{queue_id}/thresholds",
    response_model=ThresholdsOut,
    summary="Set when a queue's tile warns and alarms (supervisor, admin)",
)
async def set_thresholds(queue_id: str, body: ThresholdsIn, bus: BusDep, actor: ActorDep) -> ThresholdsOut:
    cmd = SetQueueThresholds(queue_id, **body.model_dump())
    return ThresholdsOut.model_validate(await bus.handle(cmd, actor))
