"""The audit log: reading it, signing its head (checkpoints) and verifying its chain."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kefu.domain import events
from kefu.domain.audit import (
    AuditEntry,
    ChainReport,
    ChainVerifier,
    Checkpoint,
    checkpoint_key,
    sign_checkpoint,
)
from kefu.domain.commands import CheckpointAudit, CheckpointAuditDay
from kefu.domain.errors import Conflict, InvalidInput
from kefu.services.authz import require
from kefu.services.context import Context
from kefu.services.pagination import Page, page_of
from kefu.services.ports import AuditFilter

VERIFY_BATCH = 1000


async def checkpoint(cmd: CheckpointAudit, ctx: Context) -> Checkpoint | None:
    """Sign the head of the chain with the secret, unless the last checkpoint already covers it."""
    require(ctx.actor, "audit.verify")
    key = checkpoint_key(ctx.settings.secret.get_secret_value())
    async with ctx.uow:
        seq, head_hash = await ctx.uow.audit.head()
        done = await ctx.uow.audit.checkpoints()
        if seq == 0 or (done and done[-1].seq >= seq):
            return None
        now = ctx.clock.now()
        made = Checkpoint(seq, head_hash, now, sign_checkpoint(key, seq, head_hash, now))
        await ctx.uow.audit.add_checkpoint(made)
        ctx.uow.emit(events.AuditCheckpointed(seq, head_hash, now))
        await ctx.uow.commit()
    return made


def end_of_day(day: date, zone: str) -> datetime:
    """The first instant after ``day`` on the centre's local calendar, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(zone)).astimezone(UTC)


async def checkpoint_day(cmd: CheckpointAuditDay, ctx: Context) -> Checkpoint | None:
    """Sign the head as it stood when ``cmd.day`` ended, dated that instant, unless a checkpoint made then or
    later already covers it. Every process computes the same checkpoint for a day, so two writing it at
    once collide on its ``seq`` and the loser's commit changes nothing: one checkpoint per day."""
    require(ctx.actor, "audit.verify")
    end = end_of_day(cmd.day, ctx.settings.local_timezone)
    if ctx.clock.now() < end:
        raise InvalidInput(f"{cmd.day.isoformat()} has not ended yet", field="day")
    key = checkpoint_key(ctx.settings.secret.get_secret_value())
    try:
        async with ctx.uow:
            done = await ctx.uow.audit.checkpoints()
            if any(c.at >= end for c in done):
                return None  # checked first: the scan below runs until the day's checkpoint exists
            seq, head_hash = await ctx.uow.audit.head_before(end)
            if seq == 0 or any(c.seq >= seq for c in done):
                return None
            made = Checkpoint(seq, head_hash, end, sign_checkpoint(key, seq, head_hash, end))
            await ctx.uow.audit.add_checkpoint(made)
            ctx.uow.emit(events.AuditCheckpointed(seq, head_hash, end))
            await ctx.uow.commit()
    except Conflict:
        return None  # another process wrote this very checkpoint a moment ago
    return made


async def verify(ctx: Context) -> ChainReport:
    """Walk the whole chain in ``seq`` order and check every checkpoint (see ``ChainVerifier``)."""
    require(ctx.actor, "audit.verify")
    key = checkpoint_key(ctx.settings.secret.get_secret_value())
    async with ctx.uow:
        verifier = ChainVerifier(key, await ctx.uow.audit.checkpoints())
        after = 0
        while batch := await ctx.uow.audit.chain(after, VERIFY_BATCH):
            for entry in batch:
                verifier.feed(entry)
            after = batch[-1].seq or after
        return verifier.finish(await ctx.uow.audit.unchained())


async def list_entries(ctx: Context, after: str | None, limit: int, where: AuditFilter) -> Page[AuditEntry]:
    require(ctx.actor, "audit.read")
    async with ctx.uow:
        return page_of(await ctx.uow.audit.page(after, limit + 1, where), limit)
