"""Agents and their presence."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kefu.domain.commands import CreateAgent, SetPresence, UpdateAgent
from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep, PageDep
from kefu.entrypoints.api.shared.schemas import AgentIn, AgentOut, AgentPatch, Page, PresenceIn, changes
from kefu.services.shared import agents as svc

router = APIRouter(prefix="/api/v1/agents", tags=["agents"])


@router.post("", response_model=AgentOut, status_code=201, summary="Add an agent at a site")
async def create_agent(body: AgentIn, bus: BusDep, actor: ActorDep) -> AgentOut:
    capacity: dict[str, int] = {str(k): v for k, v in body.capacity.items()}
    cmd = CreateAgent(body.name, body.site, dict(body.skills), capacity, body.username)
    return AgentOut.model_validate(await bus.handle(cmd, actor))


@router.get("", response_model=Page[AgentOut], summary="List agents, optionally of one site")
async def list_agents(
    ctx: ContextDep, page: PageDep, site: Annotated[str | None, Query(max_length=32)] = None
) -> Page[AgentOut]:
    result = await svc.list_agents(page.after, page.limit, site, ctx)
    return Page[AgentOut](
        items=[AgentOut.model_validate(a) for a in result.items], next_cursor=result.next_cursor
    )


@router.get("/{agent_id}", response_model=AgentOut, summary="One agent")
async def get_agent(agent_id: str, ctx: ContextDep) -> AgentOut:
    return AgentOut.model_validate(await svc.get_agent(agent_id, ctx))


@router.patch(
    "/{agent_id}", response_model=AgentOut, summary="Change an agent's name, site, skills or capacity"
)
async def update_agent(agent_id: str, body: AgentPatch, bus: BusDep, actor: ActorDep) -> AgentOut:
    return AgentOut.model_validate(await bus.handle(UpdateAgent(agent_id, changes(body)), actor))


@router.put("/{agent_id}/presence", response_model=AgentOut, summary="Go available, away or offline")
async def set_presence(agent_id: str, body: PresenceIn, bus: BusDep, actor: ActorDep) -> AgentOut:
    return AgentOut.model_validate(await bus.handle(SetPresence(agent_id, body.presence, body.reason), actor))
