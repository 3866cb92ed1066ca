"""Queues and their live statistics."""

from __future__ import annotations

from fastapi import APIRouter

from kefu.domain.commands import CreateQueue, UpdateQueue
from kefu.domain.queues import EscalationStep, ServiceLevel
from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep, RouterDep
from kefu.entrypoints.api.routing.schemas import (
    EscalationStepIn,
    QueueIn,
    QueueOut,
    QueuePatch,
    QueueStatsOut,
)
from kefu.entrypoints.api.shared.schemas import changes
from kefu.services.authz import require
from kefu.services.routing import queues as svc

router = APIRouter(prefix="/api/v1/queues", tags=["queues"])


def _steps(steps: list[EscalationStepIn]) -> tuple[EscalationStep, ...]:
    return tuple(EscalationStep(s.after_s, dict(s.skills), s.sites) for s in steps)


@router.post("", response_model=QueueOut, status_code=201, summary="Define a queue")
async def create_queue(body: QueueIn, bus: BusDep, actor: ActorDep) -> QueueOut:
    cmd = CreateQueue(
        id=body.id,
        name=body.name,
        business_line=body.business_line,
        channels=tuple(body.channels),
        skills=dict(body.skills),
        priority=body.priority,
        service_level=ServiceLevel(body.service_level.answer_within_s, body.service_level.target_pct),
        escalation=_steps(body.escalation),
        home_first_s={str(k): v for k, v in body.home_first_s.items()},
    )
    return QueueOut.model_validate(await bus.handle(cmd, actor))


@router.get("", response_model=list[QueueOut], summary="All queues")
async def list_queues(ctx: ContextDep) -> list[QueueOut]:
    return [QueueOut.model_validate(q) for q in await svc.list_queues(ctx)]


@router.get("/{queue_id}", response_model=QueueOut, summary="One queue")
async def get_queue(queue_id: str, ctx: ContextDep) -> QueueOut:
    return QueueOut.model_validate(await svc.get_queue(queue_id, ctx))


@router.patch(
    "/{queue_id}", response_model=QueueOut, summary="Change a queue's skills, priority, target or steps"
)
async def update_queue(queue_id: str, body: QueuePatch, bus: BusDep, actor: ActorDep) -> QueueOut:
    fields = changes(body)
    if body.service_level is not None:
        fields["service_level"] = ServiceLevel(
            body.service_level.answer_within_s, body.service_level.target_pct
        )
    if body.escalation is not None:
        fields["escalation"] = _steps(body.escalation)
    if body.skills is not None:
        fields["skills"] = dict(body.skills)
    if body.home_first_s is not None:
        fields["home_first_s"] = {str(k): v for k, v in body.home_first_s.items()}
    return QueueOut.model_validate(await bus.handle(UpdateQueue(queue_id, fields), actor))


@router.get(
    "/{queue_id}/stats", response_model=QueueStatsOut, summary="Live figures: waiting, agents, service level"
)
async def queue_stats(queue_id: str, ctx: ContextDep, routing: RouterDep) -> QueueStatsOut:
    require(ctx.actor, "queues.stats")
    return QueueStatsOut.model_validate(await routing.stats(queue_id, ctx))
