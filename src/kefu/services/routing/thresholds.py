"""Wallboard thresholds: set a queue's limits (``SetQueueThresholds``) and read them all."""

from __future__ import annotations

import dataclasses

from kefu.domain.errors import NotFound
from kefu.domain.thresholds import QueueThresholdsChanged, SetQueueThresholds, Thresholds, check
from kefu.services.authz import require
from kefu.services.context import Context


async def set_thresholds(cmd: SetQueueThresholds, ctx: Context) -> Thresholds:
    """Replace the queue's limits after checking them; audited, and announced so wallboards redraw."""
    require(ctx.actor, "queues.write")
    now = ctx.clock.now()
    limits = {f.name: getattr(cmd, f.name) for f in dataclasses.fields(cmd) if f.name != "queue_id"}
    thresholds = check(Thresholds(cmd.queue_id, **limits, updated_at=now))
    async with ctx.uow:
        if await ctx.uow.queues.get(cmd.queue_id) is None:
            raise NotFound("queue", cmd.queue_id)
        await ctx.uow.thresholds.put(thresholds)
        set_limits = {k: v for k, v in limits.items() if v is not None}
        await ctx.audit("queue.thresholds_set", "queue", cmd.queue_id, **set_limits)
        ctx.uow.emit(QueueThresholdsChanged(cmd.queue_id, now))
        await ctx.uow.commit()
    return thresholds


async def list_thresholds(ctx: Context) -> list[Thresholds]:
    """Every queue's limits as set (queues never configured are left out; the wallboard fills defaults)."""
    require(ctx.actor, "queues.stats")
    async with ctx.uow:
        return await ctx.uow.thresholds.list()
