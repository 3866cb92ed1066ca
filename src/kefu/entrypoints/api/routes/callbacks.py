"""Callbacks: durable, scheduled calls back to a customer, with a window and retries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kefu.domain import commands as c
from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep, PageDep
from kefu.entrypoints.api.schemas import Page
from kefu.entrypoints.api.schemas_care import AttemptIn, CallbackIn, CallbackOut, CallbackStatus, CancelIn
from kefu.services.handlers import callbacks as svc

router = APIRouter(prefix="/api/v1/callbacks", tags=["callbacks"])


@router.post("", response_model=CallbackOut, status_code=201, summary="Schedule a callback")
async def schedule(body: CallbackIn, bus: BusDep, actor: ActorDep) -> CallbackOut:
    cmd = c.ScheduleCallback(body.customer_id, body.reason, body.window_start, body.window_end, body.phone)
    return CallbackOut.of(await bus.handle(cmd, actor))


@router.get("", response_model=Page[CallbackOut], summary="List callbacks, oldest first")
async def list_callbacks(
    ctx: ContextDep,
    page: PageDep,
    status: CallbackStatus | None = None,
    customer_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[CallbackOut]:
    result = await svc.list_callbacks(page.after, page.limit, ctx, state=status, customer_id=customer_id)
    return Page[CallbackOut](items=[CallbackOut.of(r) for r in result.items], next_cursor=result.next_cursor)


@router.get("/{callback_id}", response_model=CallbackOut, summary="One callback with its attempts")
async def get_callback(callback_id: str, ctx: ContextDep) -> CallbackOut:
    return CallbackOut.of(await svc.get_callback(callback_id, ctx))


@router.post("/{callback_id}/cancel", response_model=CallbackOut, summary="Cancel a callback")
async def cancel(callback_id: str, bus: BusDep, actor: ActorDep, body: CancelIn | None = None) -> CallbackOut:
    cmd = c.CancelCallback(callback_id, None if body is None else body.reason)
    return CallbackOut.of(await bus.handle(cmd, actor))


@router.post("/{callback_id}/attempts", response_model=CallbackOut, summary="Record how a call went")
async def record_attempt(callback_id: str, body: AttemptIn, bus: BusDep, actor: ActorDep) -> CallbackOut:
    cmd = c.RecordCallbackAttempt(callback_id, body.result, body.note)
    return CallbackOut.of(await bus.handle(cmd, actor))
