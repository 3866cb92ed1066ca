"""Canned responses: supervisors and admins write them, every member of staff reads them (see
``kefu.domain.canned``). Each change is audited; none is an event (nothing downstream reacts to it)."""

from __future__ import annotations

import dataclasses

from kefu.domain.canned import (
    CannedResponse,
    CreateCannedResponse,
    DeleteCannedResponse,
    UpdateCannedResponse,
    check,
)
from kefu.domain.errors import AlreadyExists, InvalidInput, NotFound
from kefu.domain.ids import new_id
from kefu.domain.vocabulary import LANGUAGES
from kefu.services.authz import require
from kefu.services.context import Context


def _checked(shortcut: str, title: str, body: str, language: str) -> tuple[str, str, str]:
    shortcut, title, body = shortcut.strip().lower(), title.strip(), body.strip()
    if language not in LANGUAGES:
        raise InvalidInput(f"language must be one of {', '.join(LANGUAGES)}", field="language")
    check(shortcut, title, body)
    return shortcut, title, body


async def create_canned_response(cmd: CreateCannedResponse, ctx: Context) -> CannedResponse:
    require(ctx.actor, "canned.write")
    shortcut, title, body = _checked(cmd.shortcut, cmd.title, cmd.body, cmd.language)
    now = ctx.clock.now()
    made = CannedResponse(new_id(), shortcut, title, body, cmd.language, ctx.actor.username, now, now)
    async with ctx.uow:
        if await ctx.uow.canned.by_shortcut(cmd.language, shortcut) is not None:
            raise AlreadyExists(f"/{shortcut} exists already in {cmd.language}", field="shortcut")
        await ctx.uow.canned.add(made)
        await ctx.audit(
            "canned.created", "canned_response", made.id, shortcut=shortcut, language=cmd.language
        )
        await ctx.uow.commit()
    return made


async def update_canned_response(cmd: UpdateCannedResponse, ctx: Context) -> CannedResponse:
    require(ctx.actor, "canned.write")
    shortcut, title, body = _checked(cmd.shortcut, cmd.title, cmd.body, cmd.language)
    async with ctx.uow:
        found = await ctx.uow.canned.get(cmd.response_id)
        if found is None:
            raise NotFound("canned response", cmd.response_id)
        taken = await ctx.uow.canned.by_shortcut(cmd.language, shortcut)
        if taken is not None and taken.id != found.id:
            raise AlreadyExists(f"/{shortcut} exists already in {cmd.language}", field="shortcut")
        changed = dataclasses.replace(
            found,
            shortcut=shortcut,
            title=title,
            body=body,
            language=cmd.language,
            updated_at=ctx.clock.now(),
        )
        await ctx.uow.canned.save(changed)
        await ctx.audit(
            "canned.updated", "canned_response", found.id, shortcut=shortcut, language=cmd.language
        )
        await ctx.uow.commit()
    return changed


async def delete_canned_response(cmd: DeleteCannedResponse, ctx: Context) -> CannedResponse:
    require(ctx.actor, "canned.write")
    async with ctx.uow:
        found = await ctx.uow.canned.get(cmd.response_id)
        if found is None:
            raise NotFound("canned response", cmd.response_id)
        await ctx.uow.canned.delete(found.id)
        await ctx.audit("canned.deleted", "canned_response", found.id, shortcut=found.shortcut)
        await ctx.uow.commit()
    return found


async def list_canned_responses(ctx: Context, language: str | None = None) -> list[CannedResponse]:
    require(ctx.actor, "canned.read")
    async with ctx.uow:
        return await ctx.uow.canned.all(language)
