"""Conversations and their messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from kefu.domain import commands as c
from kefu.domain.vocabulary import ConversationStatus
from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep, PageDep
from kefu.entrypoints.api.shared.schemas import (
    AssignIn,
    ConversationDetailOut,
    ConversationIn,
    ConversationOut,
    MessageIn,
    MessageOut,
    Out,
    Page,
    ResolveIn,
)
from kefu.services.shared import conversations as svc

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


@router.post("", response_model=ConversationOut, status_code=201, summary="Open a conversation")
async def open_conversation(body: ConversationIn, bus: BusDep, actor: ActorDep) -> ConversationOut:
    cmd = c.OpenConversation(
        body.customer_id, body.business_line, body.channel, body.subject, body.text, body.queue
    )
    return ConversationOut.model_validate(await bus.handle(cmd, actor))


@router.get("", response_model=Page[ConversationOut], summary="List conversations, oldest first")
async def list_conversations(
    ctx: ContextDep,
    page: PageDep,
    status: ConversationStatus | None = None,
    queue: Annotated[str | None, Query(max_length=64)] = None,
    customer_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[ConversationOut]:
    result = await svc.list_conversations(
        page.after, page.limit, ctx, status=status, queue=queue, customer_id=customer_id
    )
    return Page[ConversationOut](
        items=[ConversationOut.model_validate(x) for x in result.items], next_cursor=result.next_cursor
    )


class WaitingOut(ConversationOut):
    position: int = Field(description="place in its queue's line, by priority then arrival (1: next)")
    waiting_s: int = Field(description="seconds since the conversation opened")


class WaitingPage(Out):
    items: list[WaitingOut]


@router.get(
    "/waiting",
    response_model=WaitingPage,
    summary="Conversations waiting in my queues (an agent: the queues whose skills they hold), read only",
)
async def list_waiting(ctx: ContextDep) -> WaitingPage:
    rows = await svc.list_waiting(ctx)
    items = [
        WaitingOut.model_validate(
            {
                **ConversationOut.model_validate(w.conversation).model_dump(),
                "position": w.position,
                "waiting_s": w.waiting_s,
            }
        )
        for w in rows
    ]
    return WaitingPage(items=items)


@router.get(
    "/{conversation_id}", response_model=ConversationDetailOut, summary="One conversation with messages"
)
async def get_conversation(conversation_id: str, ctx: ContextDep) -> ConversationDetailOut:
    return ConversationDetailOut.model_validate(await svc.get_conversation(conversation_id, ctx))


@router.post(
    "/{conversation_id}/messages", response_model=MessageOut, status_code=201, summary="Post a message"
)
async def post_message(conversation_id: str, body: MessageIn, bus: BusDep, actor: ActorDep) -> MessageOut:
    return MessageOut.model_validate(await bus.handle(c.PostMessage(conversation_id, body.body), actor))


@router.post(
    "/{conversation_id}/notes",
    response_model=MessageOut,
    status_code=201,
    summary="Add an internal note for staff (never shown to the customer)",
)
async def add_note(conversation_id: str, body: MessageIn, bus: BusDep, actor: ActorDep) -> MessageOut:
    return MessageOut.model_validate(await bus.handle(c.AddInternalNote(conversation_id, body.body), actor))


@router.post(
    "/{conversation_id}/assign", response_model=ConversationOut, summary="Assign to an agent by hand"
)
async def assign(conversation_id: str, body: AssignIn, bus: BusDep, actor: ActorDep) -> ConversationOut:
    cmd = c.AssignConversation(conversation_id, body.agent_id)
    return ConversationOut.model_validate(await bus.handle(cmd, actor))


@router.post(
    "/{conversation_id}/resolve", response_model=ConversationOut, summary="Resolve with a disposition"
)
async def resolve(conversation_id: str, body: ResolveIn, bus: BusDep, actor: ActorDep) -> ConversationOut:
    cmd = c.ResolveConversation(conversation_id, body.disposition, body.note)
    return ConversationOut.model_validate(await bus.handle(cmd, actor))


@router.post(
    "/{conversation_id}/close", response_model=ConversationOut, summary="Close a resolved conversation"
)
async def close(conversation_id: str, bus: BusDep, actor: ActorDep) -> ConversationOut:
    return ConversationOut.model_validate(await bus.handle(c.CloseConversation(conversation_id), actor))


@router.post("/{conversation_id}/abandon", response_model=ConversationOut, summary="The customer left")
async def abandon(conversation_id: str, bus: BusDep, actor: ActorDep) -> ConversationOut:
    return ConversationOut.model_validate(await bus.handle(c.AbandonConversation(conversation_id), actor))
