"""The routing lease's commands: a router takes or renews its partition's lease, or gives it up.

The lease row is the truth about which router may write (``kefu.routing.lease``); these commands are the
only way it changes, so the lease goes through the one door like every other state change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from kefu.domain.commands import Command
from kefu.routing.lease import Fence, Lease
from kefu.services.context import Context


@dataclass(frozen=True, slots=True)
class AcquireRouterLease(Command[Lease | None]):
    """Take or renew ``partition``'s routing lease for ``lease_s`` seconds; None while another holds it."""

    partition: str
    holder: str
    lease_s: float


@dataclass(frozen=True, slots=True)
class ReleaseRouterLease(Command[None]):
    """End the lease now (a router stopping cleanly), so a standby takes over without waiting."""

    partition: str
    holder: str
    token: int


async def acquire_lease(cmd: AcquireRouterLease, ctx: Context) -> Lease | None:
    now = ctx.clock.now()
    async with ctx.uow:
        lease = await ctx.uow.leases.acquire(
            cmd.partition, cmd.holder, now, now + timedelta(seconds=cmd.lease_s)
        )
        if lease is not None:
            await ctx.uow.commit()
    return lease


async def release_lease(cmd: ReleaseRouterLease, ctx: Context) -> None:
    async with ctx.uow:
        await ctx.uow.leases.release(Fence(cmd.partition, cmd.holder, cmd.token), ctx.clock.now())
        await ctx.uow.commit()


async def lease_holder(ctx: Context, partition: str) -> Lease | None:
    """The partition's lease as stored (e.g. for a gauge of who routes; an expired one names nobody)."""
    async with ctx.uow:
        lease = await ctx.uow.leases.get(partition)
    return None if lease is None or lease.expires_at <= ctx.clock.now() else lease
