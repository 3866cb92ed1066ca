"""Wrap-up the agent controls: see it, end it early, or extend it once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep, RouterDep
from kefu.entrypoints.api.shared.schemas import In, Out
from kefu.services.authz import require
from kefu.services.routing.router import EndWrapUp, ExtendWrapUp

router = APIRouter(prefix="/api/v1/agents", tags=["agents"])


class WrapUpOut(Out):
    agent_id: str
    wrap_up_until: dict[str, datetime] = Field(description="channel → when its wrap-up ends; empty: none")


class ExtendIn(In):
    seconds: Annotated[float, Field(gt=0, le=3600)] = 60


@router.get("/{agent_id}/wrap-up", response_model=WrapUpOut, summary="The agent's running wrap-up")
async def get_wrap_up(agent_id: str, ctx: ContextDep, routing: RouterDep) -> WrapUpOut:
    require(ctx.actor, "agents.read")
    return WrapUpOut(agent_id=agent_id, wrap_up_until=await routing.wrap_up_until(agent_id, ctx))


@router.post("/{agent_id}/wrap-up/end", response_model=WrapUpOut, summary="Ready now: end the wrap-up")
async def end_wrap_up(agent_id: str, bus: BusDep, actor: ActorDep, _routing: RouterDep) -> WrapUpOut:
    return WrapUpOut(agent_id=agent_id, wrap_up_until=await bus.handle(EndWrapUp(agent_id), actor))


@router.post(
    "/{agent_id}/wrap-up/extend",
    response_model=WrapUpOut,
    summary="More time: extend the wrap-up once (bounded by KEFU_WRAP_UP_EXTEND_S)",
)
async def extend_wrap_up(
    agent_id: str, body: ExtendIn, bus: BusDep, actor: ActorDep, _routing: RouterDep
) -> WrapUpOut:
    until = await bus.handle(ExtendWrapUp(agent_id, body.seconds), actor)
    return WrapUpOut(agent_id=agent_id, wrap_up_until=until)
