"""Callbacks: durable, scheduled calls back to a customer, with a window and retries.

``conversation_router`` holds keep-your-place (a waiting voice customer takes a callback instead): its URL
is under the conversation, its work is a callback's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kefu.care import commands as care_commands
from kefu.care.records import CallbackRecord
from kefu.domain.privacy import mask_phone
from kefu.domain.users import Actor
from kefu.entrypoints.api.care.schemas import (
    AttemptIn,
    CallbackIn,
    CallbackOut,
    CallbackStatus,
    CancelIn,
    KeepPlaceIn,
)
from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep, PageDep
from kefu.entrypoints.api.shared.schemas import Page
from kefu.services.authz import allowed
from kefu.services.care import callbacks as svc

router = APIRouter(prefix="/api/v1/callbacks", tags=["callbacks"])
conversation_router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


def _out(record: CallbackRecord, actor: Actor) -> CallbackOut:
    """Agents see the number masked, as everywhere: the call is placed through kefu, not dialled by hand."""
    out = CallbackOut.of(record)
    if allowed(actor, "customers.read_unmasked"):
        return out
    return out.model_copy(update={"phone": mask_phone(out.phone)})


@router.post("", response_model=CallbackOut, status_code=201, summary="Schedule a callback")
async def schedule(body: CallbackIn, bus: BusDep, actor: ActorDep) -> CallbackOut:
    cmd = care_commands.ScheduleCallback(
        body.customer_id, body.reason, body.window_start, body.window_end, body.phone
    )
    return _out(await bus.handle(cmd, actor), actor)


@router.get("", response_model=Page[CallbackOut], summary="List callbacks, oldest first")
async def list_callbacks(
    ctx: ContextDep,
    page: PageDep,
    status: CallbackStatus | None = None,
    customer_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[CallbackOut]:
    result = await svc.list_callbacks(page.after, page.limit, ctx, state=status, customer_id=customer_id)
    items = [_out(r, ctx.actor) for r in result.items]
    return Page[CallbackOut](items=items, next_cursor=result.next_cursor)


@router.get("/{callback_id}", response_model=CallbackOut, summary="One callback with its attempts")
async def get_callback(callback_id: str, ctx: ContextDep) -> CallbackOut:
    return _out(await svc.get_callback(callback_id, ctx), ctx.actor)


@router.post("/{callback_id}/cancel", response_model=CallbackOut, summary="Cancel a callback")
async def cancel(callback_id: str, bus: BusDep, actor: ActorDep, body: CancelIn | None = None) -> CallbackOut:
    cmd = care_commands.CancelCallback(callback_id, None if body is None else body.reason)
    return _out(await bus.handle(cmd, actor), actor)


@router.post("/{callback_id}/attempts", response_model=CallbackOut, summary="Record how a call went")
async def record_attempt(callback_id: str, body: AttemptIn, bus: BusDep, actor: ActorDep) -> CallbackOut:
    cmd = care_commands.RecordCallbackAttempt(callback_id, body.result, body.note)
    return _out(await bus.handle(cmd, actor), actor)


@conversation_router.post(
    "/{conversation_id}/callback",
    response_model=CallbackOut,
    status_code=201,
    summary="Keep your place: a waiting voice customer takes a callback instead",
)
async def take_callback(
    conversation_id: str, bus: BusDep, actor: ActorDep, body: KeepPlaceIn | None = None
) -> CallbackOut:
    cmd = care_commands.TakeCallbackInstead(conversation_id, None if body is None else body.phone)
    return CallbackOut.of(await bus.handle(cmd, actor))
