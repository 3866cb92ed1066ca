"""Queues: define where work waits, who may take it, and how that widens over time."""

from __future__ import annotations

import dataclasses
import re

from kefu.domain import events
from kefu.domain.commands import CreateQueue, UpdateQueue
from kefu.domain.errors import AlreadyExists, InvalidInput, NotFound
from kefu.domain.queues import Queue, check_home_first, check_queue_shape
from kefu.domain.vocabulary import known_skills
from kefu.services.authz import require
from kefu.services.changes import checked_changes
from kefu.services.context import Context

_ID = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
_UPDATABLE = frozenset(
    {"name", "channels", "skills", "priority", "service_level", "escalation", "home_first_s"}
)


def _check(queue: Queue, ctx: Context) -> None:
    if queue.business_line not in ctx.settings.business_lines:
        raise InvalidInput(f"unknown business line {queue.business_line!r}", field="business_line")
    check_queue_shape(
        queue.channels,
        queue.skills,
        queue.escalation,
        known_skills(ctx.settings.business_lines),
        queue.service_level,
    )
    check_home_first(queue.home_first_s)


async def create_queue(cmd: CreateQueue, ctx: Context) -> Queue:
    require(ctx.actor, "queues.write")
    if not _ID.match(cmd.id):
        raise InvalidInput("queue id must be 2-64 lower-case letters, digits or '_'", field="id")
    now = ctx.clock.now()
    queue = Queue(
        id=cmd.id,
        name=cmd.name,
        business_line=cmd.business_line,
        channels=tuple(dict.fromkeys(cmd.channels)),
        skills=dict(cmd.skills),
        priority=cmd.priority,
        service_level=cmd.service_level,
        created_at=now,
        updated_at=now,
        escalation=tuple(cmd.escalation),
        home_first_s=dict(cmd.home_first_s),
    )
    _check(queue, ctx)
    async with ctx.uow:
        if await ctx.uow.queues.get(queue.id) is not None:
            raise AlreadyExists(f"queue {queue.id!r} already exists", field="id")
        await ctx.uow.queues.add(queue)
        await ctx.audit("queue.created", "queue", queue.id)
        ctx.uow.emit(events.QueueChanged(queue.id, now))
        await ctx.uow.commit()
    return queue


async def update_queue(cmd: UpdateQueue, ctx: Context) -> Queue:
    require(ctx.actor, "queues.write")
    changes = checked_changes(cmd.changes, _UPDATABLE, required=_UPDATABLE)
    for name in ("channels", "escalation"):
        if name in changes:
            changes[name] = tuple(changes[name])
    async with ctx.uow:
        queue = await ctx.uow.queues.get(cmd.queue_id)
        if queue is None:
            raise NotFound("queue", cmd.queue_id)
        now = ctx.clock.now()
        updated = dataclasses.replace(queue, updated_at=now, **changes)
        _check(updated, ctx)
        await ctx.uow.queues.save(updated)
        await ctx.audit("queue.updated", "queue", queue.id, fields=sorted(changes))
        ctx.uow.emit(events.QueueChanged(queue.id, now))
        await ctx.uow.commit()
    return updated


async def get_queue(queue_id: str, ctx: Context) -> Queue:
    require(ctx.actor, "queues.read")
    async with ctx.uow:
        queue = await ctx.uow.queues.get(queue_id)
    if queue is None:
        raise NotFound("queue", queue_id)
    return queue


async def list_queues(ctx: Context) -> list[Queue]:
    require(ctx.actor, "queues.read")
    async with ctx.uow:
        return await ctx.uow.queues.list()
