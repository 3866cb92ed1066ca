"""The customer's side of routing: their place in line and the expected wait."""

from __future__ import annotations

from fastapi import APIRouter

from kefu.entrypoints.api.deps import ContextDep, RouterDep
from kefu.entrypoints.api.routing.schemas import QueuePlaceOut

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


@router.get(
    "/{conversation_id}/queue",
    response_model=QueuePlaceOut,
    summary="A waiting customer's place in line, expected wait and callback offer",
)
async def queue_place(conversation_id: str, ctx: ContextDep, routing: RouterDep) -> QueuePlaceOut:
    return QueuePlaceOut.model_validate(await routing.place(conversation_id, ctx))
