"""Quality: CSAT ratings, commendations (锦旗) and complaints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kefu.domain.quality import (
    ComplaintAction,
    ComplaintStatus,
    FileComplaint,
    GiveCommendation,
    HandleComplaint,
    RecordCsat,
)
from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep, PageDep
from kefu.entrypoints.api.quality.schemas import (
    AgentCommendationsOut,
    CommendationIn,
    CommendationOut,
    ComplaintIn,
    ComplaintOut,
    ComplaintPage,
    ComplaintStepIn,
    CsatIn,
    CsatOut,
)
from kefu.services.quality import handlers as svc

router = APIRouter(prefix="/api/v1", tags=["quality"])


@router.post(
    "/conversations/{conversation_id}/csat",
    response_model=CsatOut,
    status_code=201,
    summary="Rate a resolved or closed conversation, once (1-5)",
)
async def record_csat(conversation_id: str, body: CsatIn, bus: BusDep, actor: ActorDep) -> CsatOut:
    rating = await bus.handle(RecordCsat(conversation_id, body.score, body.comment), actor)
    return CsatOut.model_validate(rating)


@router.post(
    "/agents/{agent_id}/commendations",
    response_model=CommendationOut,
    status_code=201,
    summary="A customer's commendation (锦旗) for an agent",
)
async def give_commendation(
    agent_id: str, body: CommendationIn, bus: BusDep, actor: ActorDep
) -> CommendationOut:
    cmd = GiveCommendation(agent_id, body.customer_id, body.message, body.conversation_id)
    return CommendationOut.of(await bus.handle(cmd, actor))


@router.get(
    "/agents/{agent_id}/commendations",
    response_model=AgentCommendationsOut,
    summary="An agent's commendations and their count",
)
async def agent_commendations(agent_id: str, ctx: ContextDep, page: PageDep) -> AgentCommendationsOut:
    total, found = await svc.agent_commendations(agent_id, page.after, page.limit, ctx)
    return AgentCommendationsOut(
        agent_id=agent_id,
        commendations=total,
        items=[CommendationOut.of(c) for c in found.items],
        next_cursor=found.next_cursor,
    )


@router.post("/complaints", response_model=ComplaintOut, status_code=201, summary="Take down a complaint")
async def file_complaint(body: ComplaintIn, bus: BusDep, actor: ActorDep) -> ComplaintOut:
    cmd = FileComplaint(body.customer_id, body.category, body.text, body.conversation_id, body.agent_id)
    return ComplaintOut.of(await bus.handle(cmd, actor))


@router.get("/complaints", response_model=ComplaintPage, summary="List complaints, oldest first")
async def list_complaints(
    ctx: ContextDep,
    page: PageDep,
    status: ComplaintStatus | None = None,
    agent_id: Annotated[str | None, Query(max_length=64)] = None,
) -> ComplaintPage:
    found = await svc.list_complaints(page.after, page.limit, ctx, status=status, agent_id=agent_id)
    return ComplaintPage(items=[ComplaintOut.of(c) for c in found.items], next_cursor=found.next_cursor)


@router.get("/complaints/{complaint_id}", response_model=ComplaintOut, summary="One complaint")
async def get_complaint(complaint_id: str, ctx: ContextDep) -> ComplaintOut:
    return ComplaintOut.of(await svc.get_complaint(complaint_id, ctx))


async def _step(
    complaint_id: str, action: ComplaintAction, body: ComplaintStepIn | None, bus: BusDep, actor: ActorDep
) -> ComplaintOut:
    cmd = HandleComplaint(complaint_id, action, None if body is None else body.note)
    return ComplaintOut.of(await bus.handle(cmd, actor))


@router.post(
    "/complaints/{complaint_id}/investigate", response_model=ComplaintOut, summary="Start investigating"
)
async def investigate(
    complaint_id: str, bus: BusDep, actor: ActorDep, body: ComplaintStepIn | None = None
) -> ComplaintOut:
    return await _step(complaint_id, "investigate", body, bus, actor)


@router.post("/complaints/{complaint_id}/uphold", response_model=ComplaintOut, summary="Uphold")
async def uphold(
    complaint_id: str, bus: BusDep, actor: ActorDep, body: ComplaintStepIn | None = None
) -> ComplaintOut:
    return await _step(complaint_id, "uphold", body, bus, actor)


@router.post("/complaints/{complaint_id}/reject", response_model=ComplaintOut, summary="Reject")
async def reject(
    complaint_id: str, bus: BusDep, actor: ActorDep, body: ComplaintStepIn | None = None
) -> ComplaintOut:
    return await _step(complaint_id, "reject", body, bus, actor)
