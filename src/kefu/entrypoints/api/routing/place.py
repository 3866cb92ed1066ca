"""Routing seen from a conversation: the customer's place in line and wait, and transfers."""

from __future__ import annotations

from fastapi import APIRouter

from kefu.domain.commands import TransferConversation
from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep, RouterDep
from kefu.entrypoints.api.routing.schemas import QueuePlaceOut, TransferIn
from kefu.entrypoints.api.shared.schemas import ConversationOut

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


@router.get(
    "/{conversation_id}/queue",
    response_model=QueuePlaceOut,
    summary="A waiting customer's place in line, expected wait and callback offer",
)
async def queue_place(conversation_id: str, ctx: ContextDep, routing: RouterDep) -> QueuePlaceOut:
    return QueuePlaceOut.model_validate(await routing.place(conversation_id, ctx))


@router.post(
    "/{conversation_id}/transfer",
    response_model=ConversationOut,
    summary="Send the conversation to another queue or agent, with a note (agent working it, supervisor)",
)
async def transfer(conversation_id: str, body: TransferIn, bus: BusDep, actor: ActorDep) -> ConversationOut:
    cmd = TransferConversation(conversation_id, body.to_queue, body.to_agent, body.note)
    return ConversationOut.model_validate(await bus.handle(cmd, actor))
