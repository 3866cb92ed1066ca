"""Canned responses: the list for staff, and create, update and delete for supervisors and admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import StringConstraints

from kefu.domain.canned import (
    CannedResponse,
    CreateCannedResponse,
    DeleteCannedResponse,
    UpdateCannedResponse,
)
from kefu.domain.vocabulary import Language
from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep
from kefu.entrypoints.api.shared.schemas import In, Out
from kefu.services.shared import canned as svc

router = APIRouter(prefix="/api/v1/canned-responses", tags=["canned responses"])

ResponseId = Annotated[str, Path(min_length=1, max_length=64)]


class CannedResponseIn(In):
    shortcut: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    body: Annotated[str, StringConstraints(min_length=1, max_length=5_000)]
    language: Language


class CannedResponseOut(Out):
    id: str
    shortcut: str
    title: str
    body: str
    language: Language
    created_by: str | None
    created_at: datetime
    updated_at: datetime


def _out(response: CannedResponse) -> CannedResponseOut:
    return CannedResponseOut.model_validate(response)


@router.get("", response_model=list[CannedResponseOut], summary="Canned responses, by language and shortcut")
async def list_canned(ctx: ContextDep, language: Language | None = None) -> list[CannedResponseOut]:
    return [_out(r) for r in await svc.list_canned_responses(ctx, language)]


@router.post("", response_model=CannedResponseOut, status_code=201, summary="Add a canned response")
async def create_canned(body: CannedResponseIn, bus: BusDep, actor: ActorDep) -> CannedResponseOut:
    cmd = CreateCannedResponse(body.shortcut, body.title, body.body, body.language)
    return _out(await bus.handle(cmd, actor))


@router.put("/{response_id}", response_model=CannedResponseOut, summary="Change a canned response")
async def update_canned(
    response_id: ResponseId, body: CannedResponseIn, bus: BusDep, actor: ActorDep
) -> CannedResponseOut:
    cmd = UpdateCannedResponse(response_id, body.shortcut, body.title, body.body, body.language)
    return _out(await bus.handle(cmd, actor))


@router.delete("/{response_id}", response_model=CannedResponseOut, summary="Remove a canned response")
async def delete_canned(response_id: ResponseId, bus: BusDep, actor: ActorDep) -> CannedResponseOut:
    return _out(await bus.handle(DeleteCannedResponse(response_id), actor))
